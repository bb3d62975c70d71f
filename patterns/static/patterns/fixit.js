// A fix-it lab's editors (patterns/fixit.html): each <textarea class="code-editor"> becomes a
// CodeMirror 5 editor. The textarea stays the form's field: every editor is copied back into
// it before the form is sent (htmx or not), so the page works the same without JavaScript.
// After a try, the lines the errors name are marked in their editor.
(() => {
  const editors = [];

  function enhance() {
    document.querySelectorAll("textarea.code-editor").forEach((area) => {
      if (area.dataset.enhanced) return;
      area.dataset.enhanced = "true";
      const label = document.querySelector(`label[for="${area.id}"]`);
      const editor = CodeMirror.fromTextArea(area, {
        mode: area.dataset.mode || null, lineNumbers: true, indentUnit: 4, tabSize: 4,
        indentWithTabs: false, viewportMargin: Infinity,
        screenReaderLabel: label ? label.textContent.trim() : area.name,
        extraKeys: { Tab: (cm) => cm.execCommand("insertSoftTab") },
      });
      editor.errorBox = document.getElementById(area.getAttribute("aria-describedby"));
      editor.marked = [];
      editors.push(editor);
    });
    markErrors();
  }

  function markErrors() {
    editors.forEach((editor) => {
      editor.marked.forEach((line) => editor.removeLineClass(line, "wrap", "error-line"));
      editor.marked = [];
      const box = document.getElementById(editor.errorBox ? editor.errorBox.id : "");
      if (!box) return;
      box.querySelectorAll("[data-line]").forEach((error) => {
        const line = Number(error.dataset.line) - 1;
        if (line >= 0 && line < editor.lineCount()) {
          editor.marked.push(editor.addLineClass(line, "wrap", "error-line"));
        }
      });
    });
  }

  // Capture: before htmx (or the browser) reads the form's fields.
  document.addEventListener("submit", () => editors.forEach((editor) => editor.save()), true);
  document.addEventListener("htmx:afterSettle", markErrors);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", enhance);
  else enhance();
})();

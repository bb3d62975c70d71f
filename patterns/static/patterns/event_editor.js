// Invoke with your own event (patterns/sandbox.html): each editor's event is checked as JSON
// while it is typed. The form is not sent while the event is not a JSON object (the browser's
// own validation holds the submit), and the reason shows under the editor, which is marked
// invalid for screen readers. The server checks again (patterns/events.py).
document.addEventListener("input", (e) => {
  const editor = e.target;
  if (!(editor instanceof HTMLTextAreaElement) || !editor.classList.contains("event-json")) return;
  let message = "";
  try {
    const event = JSON.parse(editor.value);
    if (event === null || typeof event !== "object" || Array.isArray(event)) {
      message = "The event must be a JSON object ({...}), as Lambda passes it to the handler.";
    }
  } catch (err) {
    message = `The event is not JSON: ${err.message}.`;
  }
  editor.setCustomValidity(message);
  editor.setAttribute("aria-invalid", message ? "true" : "false");
  const error = document.getElementById(editor.getAttribute("aria-describedby"));
  if (error) error.textContent = message;
});

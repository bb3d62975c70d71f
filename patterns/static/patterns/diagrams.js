// Draws the pattern page's Mermaid diagrams (patterns/detail.html): the architecture on load,
// and the sequence diagram of each run htmx swaps into the trace. A static file, not an inline
// script: the Content Security Policy allows scripts from this site's files only.
(function () {
  "use strict";
  mermaid.initialize({ startOnLoad: true, securityLevel: "strict" });
  // The swapped-out element is detached by then: look the new trace up in the page.
  document.addEventListener("htmx:afterSettle", () => {
    mermaid.run({ querySelector: "#trace pre.mermaid:not([data-processed])" });
  });
})();

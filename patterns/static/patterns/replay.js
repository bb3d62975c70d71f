// Replays a run on the architecture diagram (patterns/_timeline.html): its hops light up in
// order. The hops are the JSON the page holds in <script type="application/json"
// id="replay-hops">; the diagram's nodes are Mermaid's `g.node` elements with data-id set to
// the template's logical ids. A static file, not an inline script (Content Security Policy).
(function () {
  "use strict";
  const STEP_MS = 700;
  let timers = [];

  function nodesOf(diagram, ids) {
    return ids.flatMap((id) => Array.from(diagram.querySelectorAll("g.node")).filter(
      (g) => g.dataset.id === id || new RegExp("(^|-)flowchart-" + id + "-\\d+$").test(g.id)));
  }

  function stop(diagram) {
    timers.forEach(clearTimeout);
    timers = [];
    if (diagram) {
      diagram.classList.remove("replaying");
      diagram.querySelectorAll("g.node.lit").forEach((g) => g.classList.remove("lit"));
    }
  }

  function replay(button) {
    const data = document.getElementById(button.dataset.replay);
    const diagram = document.querySelector("#diagram svg");
    const status = button.parentElement.querySelector(".replay-status");
    if (!data || !diagram) {
      if (status) status.textContent = "The architecture diagram is not drawn yet.";
      return;
    }
    const hops = JSON.parse(data.textContent);
    stop(diagram);
    document.getElementById("diagram").scrollIntoView({ behavior: "smooth", block: "center" });
    diagram.classList.add("replaying");
    hops.forEach((hop, i) => {
      timers.push(setTimeout(() => {
        diagram.querySelectorAll("g.node.lit").forEach((g) => g.classList.remove("lit"));
        nodesOf(diagram, hop.nodes).forEach((g) => g.classList.add("lit"));
        if (status) status.textContent = `Hop ${i + 1} of ${hops.length}: ${hop.label}`;
      }, i * STEP_MS));
    });
    timers.push(setTimeout(() => {
      stop(diagram);
      if (status) status.textContent = `Replayed ${hops.length} hops.`;
    }, hops.length * STEP_MS + 400));
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.replay-button");
    if (button) replay(button);
  });
})();

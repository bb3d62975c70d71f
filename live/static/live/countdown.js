// The live quiz's countdown: each [data-deadline] element shows the seconds left and, at zero,
// "Time is up" (and disables its form's answer button). The server keeps the real deadline.
(function () {
  function tick() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Math.ceil((Date.parse(el.dataset.deadline) - Date.now()) / 1000);
      var text = left > 0 ? left + " s left" : "Time is up";
      if (el.textContent !== text) el.textContent = text;
      if (left <= 0) {
        var form = el.closest("form");
        var button = form && form.querySelector("button[type=submit]");
        if (button) button.disabled = true;
      }
    });
  }
  setInterval(tick, 250);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
})();

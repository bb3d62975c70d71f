// Dates in the reader's own time zone: <time class="local" datetime="ISO"> is rewritten, and
// forms with a hidden `tz` field tell the server which zone typed dates are in.
(function () {
  function localise(root) {
    root.querySelectorAll("time.local[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (!isNaN(d)) {
        // (dateStyle cannot be combined with timeZoneName: name the fields.)
        el.textContent = d.toLocaleString(undefined, {year: "numeric", month: "short", day: "numeric",
                                                      hour: "2-digit", minute: "2-digit", timeZoneName: "short"});
      }
    });
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    root.querySelectorAll("input.tz").forEach(function (el) { el.value = zone; });
  }
  document.addEventListener("DOMContentLoaded", function () { localise(document); });
  document.addEventListener("htmx:afterSwap", function (e) { localise(e.target); });
})();

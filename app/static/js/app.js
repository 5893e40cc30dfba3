// Monev KIP: confirmation of destructive actions and countdowns. No inline scripts (CSP).
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm) {
      if (!window.confirm(form.dataset.confirm)) { ev.preventDefault(); }
    }
  }, true);

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var end = Date.parse(el.dataset.countdown);
      if (isNaN(end)) { return; }
      var s = Math.floor((end - Date.now()) / 1000);
      if (s <= 0) { el.textContent = "ditutup"; return; }
      var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
      el.textContent = (d ? d + " hari " : "") + pad(h) + ":" + pad(m) + ":" + pad(s % 60);
    });
  }
  tick();
  setInterval(tick, 1000);
})();

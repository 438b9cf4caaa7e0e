/* Live SLA countdowns: every [data-due] element shows the time left until its
   due instant (negative once overdue) and turns red when it is reached. */
(function () {
  var script = document.currentScript;
  var unit = {
    d: (script && script.dataset.day) || "d",
    h: (script && script.dataset.hour) || "h",
    m: (script && script.dataset.minute) || "m",
    overdue: (script && script.dataset.overdue) || "overdue"
  };
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function format(seconds) {
    var s = Math.abs(Math.floor(seconds));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var text = d ? d + unit.d + " " + h + unit.h : h ? h + unit.h + " " + pad(m) + unit.m : m + ":" + pad(sec);
    return seconds <= 0 ? unit.overdue + " " + text : text;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = (Date.parse(el.dataset.due) - now) / 1000;
      el.textContent = format(left);
      el.classList.toggle("badge-danger", left <= 0);
      el.classList.toggle("badge-warn", left > 0 && left < 15 * 60);
      el.classList.toggle("badge-ok", left >= 15 * 60);
      var row = el.closest("[data-sla-row]");
      if (row) { row.classList.toggle("sla-breached", left <= 0 || row.dataset.breached === "1"); }
    });
  }
  tick();
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
})();

// Draws each [data-chart] canvas with Chart.js (served from the npm package as a
// static file). Without Chart.js the table views open instead: nothing is lost.
(function () {
  "use strict";
  function draw() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    canvases.forEach(function (canvas) {
      var card = canvas.closest(".chart-card");
      var script = document.getElementById(canvas.dataset.chart);
      if (!script) { return; }
      var spec = JSON.parse(script.textContent);
      var empty = !spec.data.labels.length;
      if (typeof window.Chart === "undefined" || empty) {
        canvas.parentNode.style.display = "none";
        var details = card.querySelector("details");
        if (details) { details.open = true; }
        return;
      }
      var stacked = spec.id === "tier-trend";
      new window.Chart(canvas, {
        type: spec.type,
        data: spec.data,
        options: {
          responsive: true, maintainAspectRatio: false, animation: false, spanGaps: true,
          scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: spec.type === "bar" } },
          plugins: { legend: { position: "bottom" } }
        }
      });
      canvas.dataset.rendered = "1";
    });
    document.documentElement.dataset.chartsReady = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();

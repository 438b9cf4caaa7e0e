// Draws the churn model page's ROC and calibration charts with Chart.js (served
// from the npm package as a static file): lines over a 0-1 × 0-1 plane. Without
// Chart.js the table views open instead.
(function () {
  "use strict";
  var COLOURS = ["#3b82c4", "#a0a7b4"];
  function draw() {
    document.querySelectorAll("canvas[data-churn-chart]").forEach(function (canvas) {
      var card = canvas.closest(".chart-card");
      var script = document.getElementById(canvas.dataset.churnChart);
      if (!script) { return; }
      var spec = JSON.parse(script.textContent);
      var empty = !spec.series.length || !spec.series[0].points.length;
      if (typeof window.Chart === "undefined" || empty) {
        canvas.parentNode.style.display = "none";
        var details = card.querySelector("details");
        if (details) { details.open = true; }
        return;
      }
      new window.Chart(canvas, {
        type: "scatter",
        data: {
          datasets: spec.series.map(function (s, i) {
            return { label: s.label, showLine: true, borderColor: COLOURS[i % 2], backgroundColor: COLOURS[i % 2],
                     borderDash: i ? [4, 4] : [], pointRadius: i ? 0 : 2,
                     data: s.points.map(function (p) { return { x: p[0], y: p[1] }; }) };
          })
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          scales: { x: { min: 0, max: 1, title: { display: true, text: spec.x } },
                    y: { min: 0, max: 1, title: { display: true, text: spec.y } } },
          plugins: { legend: { position: "bottom" } }
        }
      });
      canvas.dataset.rendered = "1";
    });
    document.documentElement.dataset.chartsReady = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();

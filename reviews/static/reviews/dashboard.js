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
          // The bar charts count customers and tickets: whole-number ticks only.
          scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: spec.type === "bar",
                                                  ticks: spec.type === "bar" ? { precision: 0 } : {} } },
          // The tooltip names what the point is made of, in the page's language (parts_text).
          plugins: { legend: { position: "bottom" },
                     tooltip: { callbacks: { footer: function (items) {
                       return items.map(function (item) {
                         var texts = spec.data.datasets[item.datasetIndex].parts_text;
                         return texts ? texts[item.dataIndex] : "";
                       }).filter(Boolean);
                     } } } },
          // A point of a metric opens the records behind it (the drill-down list).
          onClick: function (evt, elements) {
            if (!elements.length) { return; }
            var ds = spec.data.datasets[elements[0].datasetIndex];
            if (ds.links && ds.links[elements[0].index]) { window.location.href = ds.links[elements[0].index]; }
          },
          onHover: function (evt, elements) {
            var linked = elements.length && spec.data.datasets[elements[0].datasetIndex].links;
            evt.native.target.style.cursor = linked ? "pointer" : "default";
          }
        }
      });
      canvas.dataset.rendered = "1";
    });
    document.documentElement.dataset.chartsReady = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();

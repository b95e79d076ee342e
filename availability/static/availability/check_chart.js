// The check page's history: latency (ms, bars) and availability (%, line) per hour and per day.
// Data comes from the page (json_script "check-chart-data"); no inline script (CSP).
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("check-chart-data");
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll("canvas.check-chart").forEach(function (canvas) {
      var series = data[canvas.dataset.period];
      if (!series || !series.labels.length) { canvas.hidden = true; return; }
      new window.Chart(canvas, {
        data: {
          labels: series.labels,
          datasets: [
            { type: "bar", label: "Latency (ms)", data: series.latency, yAxisID: "latency", backgroundColor: "rgba(32, 107, 196, 0.35)" },
            { type: "line", label: "Availability (%)", data: series.availability, yAxisID: "availability", borderColor: "#2fb344", tension: 0.2, spanGaps: true }
          ]
        },
        options: {
          responsive: true,
          animation: false,
          interaction: { mode: "index", intersect: false },
          scales: {
            latency: { type: "linear", position: "left", beginAtZero: true, title: { display: true, text: "ms" } },
            availability: { type: "linear", position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "%" } }
          }
        }
      });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();

/* A capacity series' page: daily average and peak over 90 days, the warning and critical levels, and the
   forecast line to the day it reaches critical. Data from the page (json_script "capacity-chart-data");
   loaded after the vendored Chart.js. The page's table has the latest figures, so nothing is lost without it. */
(function () {
  "use strict";

  var BLUE = "#206bc4", GREY = "#9ba9be", ORANGE = "#f76707", RED = "#d63939", PURPLE = "#ae3ec9";

  function level(labels, value, label, colour) {
    return {
      type: "line", label: label, data: labels.map(function () { return value; }),
      borderColor: colour, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, fill: false
    };
  }

  function draw() {
    var source = document.getElementById("capacity-chart-data");
    var canvas = document.getElementById("capacity-chart");
    if (!source || !canvas || typeof window.Chart === "undefined") { return; }
    var d = JSON.parse(source.textContent);
    var sets = [
      { type: "line", label: "Daily average", data: d.average, borderColor: BLUE, backgroundColor: BLUE,
        spanGaps: true, tension: 0.2, pointRadius: 1.5 },
      { type: "line", label: "Daily peak", data: d.peak, borderColor: GREY, backgroundColor: GREY,
        spanGaps: true, tension: 0.2, pointRadius: 0, borderWidth: 1 }
    ];
    if (d.warning !== undefined) { sets.push(level(d.labels, d.warning, "Warning (" + d.warning + " %)", ORANGE)); }
    if (d.critical !== undefined) { sets.push(level(d.labels, d.critical, "Critical (" + d.critical + " %)", RED)); }
    if (d.forecast) {
      sets.push({ type: "line", label: "Forecast", data: d.forecast, borderColor: PURPLE, backgroundColor: PURPLE,
                  borderDash: [2, 3], spanGaps: true, pointRadius: 3 });
    }
    var percent = d.unit === "%";
    new window.Chart(canvas, {
      data: { labels: d.labels, datasets: sets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { ticks: { maxTicksLimit: 12 } },
          y: percent ? { min: 0, max: 100, title: { display: true, text: "% used" } }
                     : { beginAtZero: true, title: { display: true, text: d.unit } }
        }
      }
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();

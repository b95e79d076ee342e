// The finance overview's chart: budget, actual and committed by category (data from json_script, CSP-safe).
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("finance-chart-data");
    var canvas = document.getElementById("finance-chart");
    if (!source || !canvas || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.categories,
        datasets: [
          { label: "Budget", data: data.budget, backgroundColor: "rgba(32, 107, 196, 0.35)", borderColor: "#206bc4", borderWidth: 1 },
          { label: "Actual", data: data.actual, backgroundColor: "#2fb344" },
          { label: "Committed", data: data.committed, backgroundColor: "#f59f00" }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return "£" + v.toLocaleString("en-GB"); } } } },
        plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": £" + c.parsed.y.toLocaleString("en-GB", { minimumFractionDigits: 2 }); } } } }
      }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();

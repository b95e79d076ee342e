/* Service-level dashboards: draw the charts from the figures the page carries (json_script "dashboard-data").
   Loaded only on the dashboard pages, after the vendored Chart.js (static/vendor/chartjs/chart.umd.min.js).
   Every chart has the same figures in a table on the page, so nothing is lost without JavaScript. */
(function () {
  "use strict";

  var BLUE = "#206bc4", GREEN = "#2fb344", GREY = "#9ba9be", RED = "#d63939", AMBER = "#f59f00";

  function data() {
    var node = document.getElementById("dashboard-data");
    return node ? JSON.parse(node.textContent) : null;
  }

  function bars(id, labels, sets, options) {
    var canvas = document.getElementById(id);
    if (!canvas) return null;
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: sets },
      options: Object.assign({
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { position: "bottom" } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }, options || {})
    });
  }

  // A dashed line across the value axis at the target (options.plugins.targetLine = {value: 90, axis: "x"}).
  var targetLine = {
    id: "targetLine",
    afterDatasetsDraw: function (chart, args, options) {
      if (!options || options.value === undefined || options.value === null) return;
      var scale = chart.scales[options.axis || "y"];
      if (!scale) return;
      var ctx = chart.ctx, area = chart.chartArea, at = scale.getPixelForValue(options.value);
      ctx.save();
      ctx.strokeStyle = "#1d273b";
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      if ((options.axis || "y") === "x") { ctx.moveTo(at, area.top); ctx.lineTo(at, area.bottom); }
      else { ctx.moveTo(area.left, at); ctx.lineTo(area.right, at); }
      ctx.stroke();
      ctx.restore();
    }
  };

  function colourFor(value, target) {
    if (value === null || value === undefined) return GREY;
    if (value >= target) return GREEN;
    return value >= target - 10 ? AMBER : RED;
  }

  function schoolCharts(d) {
    if (d.priority) {
      bars("chart-priority", d.priority.labels, [
        { label: "Logged", data: d.priority.logged, backgroundColor: BLUE },
        { label: "Resolved", data: d.priority.resolved, backgroundColor: GREEN }
      ]);
    }
    if (d.service) {
      bars("chart-service", d.service.labels, [
        { label: "Logged", data: d.service.logged, backgroundColor: BLUE },
        { label: "Resolved", data: d.service.resolved, backgroundColor: GREEN }
      ], { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } });
    }
    var trend = document.getElementById("chart-trend");
    if (d.trend && trend) {
      new window.Chart(trend, {
        data: {
          labels: d.trend.labels,
          datasets: [
            { type: "bar", label: "Logged", data: d.trend.logged, backgroundColor: "rgba(32,107,196,.25)", yAxisID: "count" },
            { type: "line", label: "% within SLA", data: d.trend.pct_within_sla, borderColor: BLUE, backgroundColor: BLUE,
              spanGaps: true, tension: 0.2, yAxisID: "pct" },
            { type: "line", label: "Target", data: d.trend.labels.map(function () { return d.trend.target; }),
              borderColor: GREY, borderDash: [6, 4], pointRadius: 0, yAxisID: "pct" }
          ]
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { position: "bottom" } },
          scales: {
            count: { position: "left", beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Logged" } },
            pct: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "% within SLA" } }
          }
        }
      });
    }
  }

  function authorityCharts(d) {
    var box = document.getElementById("ranking-box");
    if (!d.ranking || !box) return;
    box.style.height = Math.max(8, d.ranking.labels.length * 1.6 + 4) + "rem";
    bars("chart-ranking", d.ranking.labels, [
      { label: "% within SLA", data: d.ranking.pct_within_sla,
        backgroundColor: d.ranking.pct_within_sla.map(function (v) { return colourFor(v, d.ranking.target); }) }
    ], {
      indexAxis: "y",
      plugins: { legend: { display: false }, targetLine: { value: d.ranking.target, axis: "x" } },
      scales: { x: { min: 0, max: 100, title: { display: true, text: "% within SLA (target " + d.ranking.target + " %)" } } }
    });
  }

  function customDates() {
    var select = document.getElementById("dashboard-period");
    ["dashboard-from", "dashboard-to"].forEach(function (id) {
      var input = document.getElementById(id);
      if (input && select) input.addEventListener("change", function () { select.value = "custom"; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    customDates();
    var d = data();
    if (!d || !window.Chart) return;
    window.Chart.register(targetLine);
    schoolCharts(d);
    authorityCharts(d);
  });
})();

// lakeshelf catalog pages: search, ages, and charts drawn from the JSON each page embeds.
// Everything runs from the page's own files: plotly.js is vendored beside this script.
(function () {
  "use strict";
  var root = document.body.getAttribute("data-root") || "";
  var config = { displaylogo: false, responsive: true };
  var colors = { pass: "#2e7d32", warn: "#f9a825", "no suite": "#607d8b", fail: "#c62828" };

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function layout(extra) {
    var base = { height: 260, margin: { l: 50, r: 10, t: 10, b: 40 }, bargap: 0.05,
                 font: { family: "system-ui, sans-serif", size: 12 } };
    for (var key in extra) { base[key] = extra[key]; }
    return base;
  }

  function search() {
    var box = document.getElementById("search");
    if (!box) { return; }
    box.addEventListener("input", function () {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      document.querySelectorAll("#datasets tbody tr").forEach(function (row) {
        var text = row.getAttribute("data-search").toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) >= 0; });
        row.hidden = !match;
        shown += match ? 1 : 0;
      });
      document.getElementById("no-match").hidden = shown > 0;
    });
  }

  function ages() {
    var now = Date.now();
    document.querySelectorAll(".age[data-since]").forEach(function (node) {
      var seconds = (now - Date.parse(node.getAttribute("data-since"))) / 1000;
      var units = [[86400, "d"], [3600, "h"], [60, "min"], [1, "s"]];
      for (var i = 0; i < units.length; i++) {
        if (seconds >= units[i][0] || i === units.length - 1) {
          node.textContent = "(" + Math.max(0, Math.floor(seconds / units[i][0])) + " " +
            units[i][1] + " ago)";
          return;
        }
      }
    });
  }

  function timeline() {
    var chart = data("timeline-data");
    if (!chart || !chart.version.length) { return; }
    var target = document.getElementById("timeline-chart");
    Plotly.newPlot(target, [{
      x: chart.version, y: chart.rows, type: "scatter", mode: "lines+markers",
      marker: { size: 8, color: chart.gate.map(function (g) { return colors[g] || "#999"; }) },
      line: { color: "#90a4ae" }, text: chart.committed,
      hovertemplate: "v%{x}: %{y:,} rows<br>%{text}<extra></extra>"
    }], layout({ xaxis: { title: { text: "version" } }, yaxis: { title: { text: "rows" } } }), config);
    target.on("plotly_click", function (event) {
      window.location.href = "v" + event.points[0].x + ".html";
    });
  }

  function compareForm() {
    var form = document.getElementById("compare");
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      window.location.href = "compare/v" + form.a.value + "-v" + form.b.value + ".html";
    });
  }

  function lineage() {
    var graph = data("lineage-data");
    if (!graph) { return; }
    var nodes = graph.nodes;
    var edges = { x: [], y: [], mode: "lines", type: "scatter", hoverinfo: "skip",
                  line: { color: "#b0bec5", width: 2 }, showlegend: false };
    graph.edges.forEach(function (edge) {
      edges.x.push(nodes[edge[0]].x, nodes[edge[1]].x, null);
      edges.y.push(nodes[edge[0]].y, nodes[edge[1]].y, null);
    });
    var points = {
      x: nodes.map(function (n) { return n.x; }), y: nodes.map(function (n) { return n.y; }),
      text: nodes.map(function (n) { return n.label; }), customdata: nodes.map(function (n) { return n.href; }),
      mode: "markers+text", type: "scatter", textposition: "bottom center", showlegend: false,
      marker: { size: 18, color: nodes.map(function (n) { return n.current ? "#1565c0" : "#90caf9"; }) },
      hovertemplate: "%{text}<br>click to open<extra></extra>"
    };
    var rows = Math.max.apply(null, nodes.map(function (n) { return -n.y; })) + 1;
    var target = document.getElementById("lineage-chart");
    Plotly.newPlot(target, [edges, points], layout({
      height: Math.max(160, 70 * rows), xaxis: { visible: false }, yaxis: { visible: false },
      margin: { l: 60, r: 60, t: 10, b: 30 }
    }), config);
    target.on("plotly_click", function (event) {
      var href = event.points[0].customdata;
      if (href) { window.location.href = root + href; }
    });
  }

  // A numeric summary is 65 quantiles q (ranks 0, 1/64, ..., 1): the share of values at or
  // below x, interpolated between the quantiles around it.
  function cdf(q, x) {
    var last = q.length - 1;
    if (x < q[0]) { return 0; }
    if (x >= q[last]) { return 1; }
    var low = 0, high = last;  // the largest i with q[i] <= x
    while (high - low > 1) {
      var middle = (low + high) >> 1;
      if (q[middle] <= x) { low = middle; } else { high = middle; }
    }
    return (low + (x - q[low]) / (q[low + 1] - q[low])) / last;
  }

  // Bars of one or more versions' summaries over shared bins: 30 equal-width bins over both
  // ranges for numbers ((-inf, e1], ..., (e29, inf) shares), top values plus "other" for
  // categories (a value one version does not list counts 0 there: it is in that one's other).
  function binned(series) {
    if (series[0].kind === "numeric") {
      var lo = Math.min.apply(null, series.map(function (s) { return s.q[0]; }));
      var hi = Math.max.apply(null, series.map(function (s) { return s.q[s.q.length - 1]; }));
      if (hi === lo) {
        return series.map(function (s) { return { name: s.name, x: [lo], y: [1] }; });
      }
      var width = (hi - lo) / 30, centres = [], edges = [];
      for (var i = 0; i <= 30; i++) { edges.push(lo + width * i); }
      for (i = 0; i < 30; i++) { centres.push(lo + width * (i + 0.5)); }
      return series.map(function (s) {
        var shares = [], below = 0;
        for (var b = 1; b <= 30; b++) {
          var upto = b === 30 ? 1 : cdf(s.q, edges[b]);
          shares.push(upto - below);
          below = upto;
        }
        return { name: s.name, x: centres, y: shares };
      });
    }
    var names = [];
    series.forEach(function (s) {
      s.top.forEach(function (t) { if (names.indexOf(t[0]) < 0) { names.push(t[0]); } });
    });
    return series.map(function (s) {
      var counts = {}, total = s.other;
      s.top.forEach(function (t) { counts[t[0]] = t[1]; total += t[1]; });
      var y = names.map(function (n) { return (counts[n] || 0) / (total || 1); });
      y.push(s.other / (total || 1));
      return { name: s.name, x: names.concat(["other"]), y: y };
    });
  }

  function bars(holder, column, series) {
    var traces = binned(series);
    var box = document.createElement("div");
    box.className = "column-chart";
    box.id = "col-" + column;
    var title = document.createElement("h3");
    title.textContent = column;
    box.appendChild(title);
    var plot = document.createElement("div");
    box.appendChild(plot);
    holder.appendChild(box);
    Plotly.newPlot(plot, traces.map(function (t) {
      return { x: t.x, y: t.y, name: t.name, type: "bar", opacity: traces.length > 1 ? 0.6 : 1 };
    }), layout({ barmode: "overlay", yaxis: { title: { text: "share of rows" }, tickformat: ".0%" },
                 showlegend: traces.length > 1 }), config);
  }

  function profile() {
    var charts = data("profile-data");
    var holder = document.getElementById("profile-charts");
    if (!charts || !holder) { return; }
    Object.keys(charts).forEach(function (column) { bars(holder, column, [charts[column]]); });
  }

  function compare() {
    var charts = data("compare-data");
    var holder = document.getElementById("compare-charts");
    if (!charts || !holder) { return; }
    Object.keys(charts).forEach(function (column) { bars(holder, column, charts[column]); });
  }

  search();
  ages();
  compareForm();
  if (window.Plotly) {
    timeline();
    lineage();
    profile();
    compare();
  }
})();

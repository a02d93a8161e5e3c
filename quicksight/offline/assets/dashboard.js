// The offline dashboard page: filters, aggregation and drawing (quicksight/page.py inlines it).
// It reads the JSON payload of quicksight/render.py and draws with the inlined Apache ECharts.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("dashboard-data").textContent);
  var SPEC = DATA.dashboard;
  var state = {start: DATA.defaultStart, end: DATA.maxDate, platform: "", params: {}, sheet: SPEC.sheets[0].id};
  Object.keys(SPEC.parameters).forEach(function (name) { state.params[name] = SPEC.parameters[name].default; });
  var charts = {};

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function resolve(text) {
    return text.replace(/\$\{(\w+)\}/g, function (match, name) {
      return state.params[name] === undefined ? match : String(state.params[name]);
    });
  }
  function label(value) { return value === null || value === undefined || value === "" ? "(none)" : String(value); }
  // A palette fixes a value's colour, its shown name (a code such as 1-NEW reads "New") and its place in legends.
  var PALETTES = {};
  Object.keys(SPEC.palettes || {}).forEach(function (name) {
    var byValue = new Map();
    SPEC.palettes[name].forEach(function (entry, order) {
      byValue.set(entry.value, {label: entry.label, color: entry.color, order: order});
    });
    PALETTES[name] = byValue;
  });
  function paletteEntry(paletteName, value) {
    var palette = paletteName ? PALETTES[paletteName] : null;
    return palette ? palette.get(value) || null : null;
  }
  function shown(paletteName, value) {
    var entry = paletteEntry(paletteName, value);
    return entry ? entry.label : label(value);
  }
  function format(value, kind) {
    if (value === null || value === undefined || isNaN(value)) return "-";
    if (kind === "percent") return (value * 100).toFixed(1) + "%";
    if (Math.abs(value - Math.round(value)) < 1e-9) return Math.round(value).toLocaleString("en-US");
    return value.toLocaleString("en-US", {maximumFractionDigits: 2});
  }

  // --- aggregation: the same functions QuickSight applies, over the rows the filters keep
  function columnIndex(table) {
    var index = {};
    table.columns.forEach(function (name, i) { index[name] = i; });
    return index;
  }
  function keptRows(visual, table, c) {
    return table.rows.filter(function (row) {
      var day = row[c.__date];
      if (day < state.start || day > state.end) return false;
      if (state.platform && row[c.__platform] !== state.platform) return false;
      for (var i = 0; i < visual.filters.length; i++) {
        var f = visual.filters[i];
        if (row[c[f.column]] !== state.params[f.parameter]) return false;
      }
      return true;
    });
  }
  function accumulate(acc, part, row, c) {
    var a = acc[part.key] || (acc[part.key] = {s: 0, n: 0, set: new Set(), m: null});
    var col = part.column;
    switch (part.aggregation) {
      case "SUM": a.s += row[c["sum__" + col]] || 0; break;
      case "AVERAGE": a.s += row[c["sum__" + col]] || 0; a.n += row[c["count__" + col]] || 0; break;
      case "COUNT": a.n += row[c["count__" + col]] || 0; break;
      case "DISTINCT_COUNT": if (row[c[col]] !== null) a.set.add(row[c[col]]); break;
      case "MIN": var lo = row[c["min__" + col]]; if (lo !== null && (a.m === null || lo < a.m)) a.m = lo; break;
      case "MAX": var hi = row[c["max__" + col]]; if (hi !== null && (a.m === null || hi > a.m)) a.m = hi; break;
    }
  }
  function partValue(visual, acc, key) {
    var a = acc[key];
    var part = visual.parts.filter(function (p) { return p.key === key; })[0];
    if (!a) return null;
    switch (part.aggregation) {
      case "SUM": return a.s;
      case "AVERAGE": return a.n ? a.s / a.n : null;
      case "COUNT": return a.n;
      case "DISTINCT_COUNT": return a.set.size;
      default: return a.m;
    }
  }
  function measureValues(visual, acc) {
    return visual.measures.map(function (m) {
      if (!m.ratio) return partValue(visual, acc, m.keys[0]);
      var num = partValue(visual, acc, m.keys[0]), den = partValue(visual, acc, m.keys[1]);
      return den ? num / den : null;
    });
  }
  function topN(visual) {
    if (visual.topN === null || visual.topN === undefined) return null;
    var n = typeof visual.topN === "string" ? Number(state.params[visual.topN]) : visual.topN;
    return n > 0 ? n : null;
  }
  // Groups by the dimensions (categories) and, inside each, by the color column.
  function aggregate(visual) {
    var table = DATA.data[visual.id];
    var c = columnIndex(table);
    var rows = keptRows(visual, table, c);
    var categories = new Map(), colors = new Map();
    rows.forEach(function (row) {
      var dims = visual.dimensions.map(function (d) { return row[c[d.column]]; });
      var key = JSON.stringify(dims);
      var cat = categories.get(key);
      if (!cat) { cat = {dims: dims, acc: {}, byColor: new Map()}; categories.set(key, cat); }
      visual.parts.forEach(function (p) { accumulate(cat.acc, p, row, c); });
      if (visual.color) {
        var color = row[c[visual.color.column]];
        if (!cat.byColor.has(color)) cat.byColor.set(color, {});
        if (!colors.has(color)) colors.set(color, {});
        visual.parts.forEach(function (p) {
          accumulate(cat.byColor.get(color), p, row, c);
          accumulate(colors.get(color), p, row, c);
        });
      }
    });
    var list = Array.from(categories.values());
    list.forEach(function (cat) { cat.values = measureValues(visual, cat.acc); });
    if (visual.sort) {
      var sign = visual.sort.direction === "DESC" ? -1 : 1;
      list.sort(function (a, b) {
        var x, y;
        if (visual.sort.dimension !== undefined) { x = a.dims[visual.sort.dimension]; y = b.dims[visual.sort.dimension]; }
        else { x = a.values[visual.sort.measure]; y = b.values[visual.sort.measure]; }
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return (x < y ? -1 : 1) * sign;
      });
    }
    var n = topN(visual);
    if (n !== null) list = list.slice(0, n);
    var colorList = Array.from(colors.keys()).map(function (color) {
      return {value: color, total: measureValues(visual, colors.get(color))[0] || 0};
    });
    if (visual.palette) {
      // the palette's order (New, Retained, Returning, Churned), then any value it does not list
      var rank = function (item) { var entry = paletteEntry(visual.palette, item.value); return entry ? entry.order : Infinity; };
      colorList.sort(function (a, b) { return rank(a) - rank(b) || b.total - a.total; });
    } else if (visual.type === "pivot") colorList.sort(function (a, b) { return a.value < b.value ? -1 : a.value > b.value ? 1 : 0; });
    else colorList.sort(function (a, b) { return b.total - a.total; }).splice(12);
    var total = {acc: {}};
    rows.forEach(function (row) { visual.parts.forEach(function (p) { accumulate(total.acc, p, row, c); }); });
    return {categories: list, colors: colorList, total: measureValues(visual, total.acc), rows: rows.length};
  }
  function cellValue(visual, cat, color, measureIndex) {
    var acc = cat.byColor.get(color);
    return acc ? measureValues(visual, acc)[measureIndex] : null;
  }

  // --- drawing
  function categoryLabel(cat, visual) {
    return cat.dims.map(function (value, i) { return i === 0 && visual ? shown(visual.palette, value) : label(value); }).join(" / ");
  }
  function coloured(paletteName, value, item) {
    var entry = paletteEntry(paletteName, value);
    if (entry) item.itemStyle = {color: entry.color};
    return item;
  }
  // Bars of named categories lie flat with every name shown (cut to fit, in full in the tooltip);
  // their box grows with the number of bars. Dates may skip labels: the axis still reads in order.
  var BAR_ROW = 26, NAME_WIDTH = 200;
  function chartHeight(visual, count) {
    return visual.horizontal ? Math.max(300, count * BAR_ROW + 70) : 300;
  }
  function chartOption(visual, agg) {
    var names = agg.categories.map(function (cat) { return categoryLabel(cat, visual.color ? null : visual); });
    var kind = visual.measures[0].format;
    var tooltip = {trigger: "axis", confine: true, valueFormatter: function (v) { return format(v, kind); }};
    var legend = {type: "scroll", bottom: 0};
    if (visual.type === "pie") {
      var slices = agg.categories.slice();
      if (visual.palette) {
        var rank = function (cat) { var entry = paletteEntry(visual.palette, cat.dims[0]); return entry ? entry.order : Infinity; };
        slices.sort(function (a, b) { return rank(a) - rank(b); });
      }
      return {tooltip: {trigger: "item", confine: true}, legend: legend, series: [{type: "pie", radius: ["35%", "65%"],
        data: slices.map(function (cat) {
          return coloured(visual.palette, cat.dims[0], {name: categoryLabel(cat, visual), value: cat.values[0]});
        })}]};
    }
    if (visual.type === "treemap") {
      return {tooltip: {}, series: [{type: "treemap", roam: false, breadcrumb: {show: false},
        data: agg.categories.map(function (cat) { return {name: categoryLabel(cat), value: cat.values[0]}; })}]};
    }
    var type = visual.type === "line" ? "line" : "bar";
    var series;
    if (visual.color) {
      series = agg.colors.map(function (color) {
        var item = {name: shown(visual.palette, color.value), type: type, stack: type === "bar" ? "total" : undefined,
          data: agg.categories.map(function (cat) { return cellValue(visual, cat, color.value, 0); })};
        var entry = paletteEntry(visual.palette, color.value);
        if (entry) { item.itemStyle = {color: entry.color}; item.lineStyle = {color: entry.color}; }
        return item;
      });
      if (visual.type === "combo") {
        series.push({name: "Total", type: "line", itemStyle: {color: "#334155"},
          data: agg.categories.map(function (cat) { return cat.values[0]; })});
      }
    } else {
      series = visual.measures.map(function (m, i) {
        var data = agg.categories.map(function (cat) { return cat.values[i]; });
        if (type === "bar" && visual.palette && visual.measures.length === 1) {
          data = agg.categories.map(function (cat, j) { return coloured(visual.palette, cat.dims[0], {value: data[j]}); });
        }
        return {name: m.label, type: type, yAxisIndex: m.axis === "secondary" ? 1 : 0, data: data};
      });
    }
    // A ratio beside durations gets its own axis on the right, named after it and in its colour.
    var valueAxes = [valueAxis(visual.measures.filter(function (m) { return m.axis !== "secondary"; }), kind)];
    var secondary = visual.color ? [] : visual.measures.filter(function (m) { return m.axis === "secondary"; });
    if (secondary.length) valueAxes.push(valueAxis(secondary, secondary[0].format, true));
    var dated = visual.dimensions[0].dated;
    var categoryAxis = {type: "category", data: names, axisLabel: dated ? {hideOverlap: true} : {interval: 0}};
    if (visual.horizontal) {
      categoryAxis.inverse = true;  // the first (largest) bar on top
      categoryAxis.axisLabel = {interval: 0, width: NAME_WIDTH, overflow: "truncate"};
      categoryAxis.axisTick = {alignWithLabel: true};
      return {tooltip: tooltip, legend: legend, grid: {left: 10, right: 30, top: 10, bottom: 40, containLabel: true},
        yAxis: categoryAxis, xAxis: valueAxes[0], series: series};
    }
    if (!dated) {
      // short names (days after first visit) fit upright; longer ones turn to keep every one
      var longest = Math.max.apply(null, names.map(function (name) { return name.length; }).concat([0]));
      categoryAxis.axisLabel = {interval: 0, width: 90, overflow: "truncate", rotate: names.length * longest > 60 ? 30 : 0};
    }
    return {tooltip: tooltip, legend: legend,
      grid: {left: 50, right: secondary.length ? 50 : 20, top: secondary.length ? 30 : 20, bottom: 60, containLabel: true},
      xAxis: categoryAxis, yAxis: valueAxes, series: series};
  }
  function valueAxis(measures, kind, right) {
    var axis = {type: "value", axisLabel: kind === "percent" ? {formatter: function (v) { return format(v, kind); }} : {}};
    if (right) {
      axis.position = "right";
      axis.splitLine = {show: false};
      axis.name = measures.map(function (m) { return m.label; }).join(", ");
      axis.nameTextStyle = {align: "right"};
    }
    return axis;
  }
  function drawTable(visual, agg, box) {
    var wrap = el("div", {"class": "table-wrap"});
    var table = el("table");
    var head = el("tr");
    visual.dimensions.forEach(function (d) { head.appendChild(el("th", {}, resolve(d.label))); });
    var pivotColumns = visual.type === "pivot" && visual.color ? agg.colors : null;
    if (pivotColumns) pivotColumns.forEach(function (color) { head.appendChild(el("th", {}, shown(visual.palette, color.value))); });
    else visual.measures.forEach(function (m) { head.appendChild(el("th", {}, resolve(m.label))); });
    table.appendChild(head);
    var max = Math.max.apply(null, agg.categories.map(function (cat) { return cat.values[0] || 0; }).concat([0]));
    agg.categories.forEach(function (cat) {
      var tr = el("tr");
      cat.dims.forEach(function (value, i) { tr.appendChild(el("td", {}, i === 0 && !visual.color ? shown(visual.palette, value) : label(value))); });
      if (pivotColumns) {
        pivotColumns.forEach(function (color) {
          tr.appendChild(el("td", {"class": "num"}, format(cellValue(visual, cat, color.value, 0), visual.measures[0].format)));
        });
      } else {
        visual.measures.forEach(function (m, i) {
          var td = el("td", {"class": "num"}, format(cat.values[i], m.format));
          if (visual.type === "map" && i === 0 && max > 0) {
            td.appendChild(el("span", {"class": "bar-cell", style: "width:" + Math.round(80 * (cat.values[0] || 0) / max) + "px"}));
          }
          tr.appendChild(td);
        });
      }
      table.appendChild(tr);
    });
    wrap.appendChild(table);
    box.appendChild(wrap);
  }
  function renderVisual(visual) {
    var node = document.querySelector('[data-visual-id="' + visual.id + '"]');
    node.querySelector("h2").textContent = resolve(visual.title);
    var body = node.querySelector(".body");
    var agg = aggregate(visual);
    var drawn = visual.type === "kpi" ? (agg.rows ? 1 : 0) : agg.categories.length;
    node.setAttribute("data-rows", String(drawn));
    var first = visual.type === "kpi" ? agg.total[0] : agg.categories.reduce(function (sum, cat) { return sum + (cat.values[0] || 0); }, 0);
    node.setAttribute("data-total", String(first === null ? "" : first));
    if (drawn === 0) {
      if (charts[visual.id]) { charts[visual.id].dispose(); delete charts[visual.id]; }
      body.replaceChildren(el("div", {"class": "empty"}, "No data for these filters"));
      return;
    }
    if (visual.type === "kpi") {
      body.replaceChildren(el("div", {"class": "kpi-value"}, format(agg.total[0], visual.measures[0].format)));
    } else if (visual.type === "table" || visual.type === "pivot" || visual.type === "map") {
      body.replaceChildren();
      drawTable(visual, agg, body);
    } else {
      var chart = charts[visual.id];
      if (!chart || chart.isDisposed()) {
        body.replaceChildren();
        var box = el("div", {"class": "chart"});
        body.appendChild(box);
        // SVG: every label is a text element, which a test (or a screen reader) can find
        chart = charts[visual.id] = echarts.init(box, null, {renderer: "svg"});
      }
      var height = chartHeight(visual, agg.categories.length) + "px";
      if (chart.getDom().style.height !== height) { chart.getDom().style.height = height; chart.resize(); }
      chart.setOption(chartOption(visual, agg), true);
    }
  }
  function renderSheet() {
    SPEC.sheets.forEach(function (sheet) {
      document.getElementById("sheet-" + sheet.id).classList.toggle("active", sheet.id === state.sheet);
      document.getElementById("tab-" + sheet.id).classList.toggle("active", sheet.id === state.sheet);
    });
    var sheet = SPEC.sheets.filter(function (s) { return s.id === state.sheet; })[0];
    sheet.visuals.forEach(renderVisual);
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
    document.body.setAttribute("data-rendered-sheet", state.sheet);
  }

  // --- the page: filters, tabs, sheets
  function control(labelText, input, onChange) {
    var wrap = el("label", {}, labelText);
    wrap.appendChild(input);
    input.addEventListener("change", function () { onChange(input.value); renderSheet(); });
    return wrap;
  }
  function build() {
    var filters = document.getElementById("filters");
    var start = el("input", {type: "date", id: "filter-start", min: DATA.minDate, max: DATA.maxDate});
    start.value = state.start;
    var end = el("input", {type: "date", id: "filter-end", min: DATA.minDate, max: DATA.maxDate});
    end.value = state.end;
    var platform = el("select", {id: "filter-platform"});
    platform.appendChild(el("option", {value: ""}, "All"));
    DATA.platforms.forEach(function (p) { platform.appendChild(el("option", {value: p}, p)); });
    filters.appendChild(control("Start date", start, function (v) { state.start = v || DATA.minDate; }));
    filters.appendChild(control("End date", end, function (v) { state.end = v || DATA.maxDate; }));
    filters.appendChild(control("Platform", platform, function (v) { state.platform = v; }));
    filters.appendChild(el("span", {}, "App " + DATA.appId + " · data " + DATA.minDate + " to " + DATA.maxDate));
    var tabs = document.getElementById("tabs"), sheets = document.getElementById("sheets");
    SPEC.sheets.forEach(function (sheet) {
      var tab = el("button", {id: "tab-" + sheet.id, type: "button"}, sheet.title);
      tab.addEventListener("click", function () { state.sheet = sheet.id; renderSheet(); });
      tabs.appendChild(tab);
      var section = el("section", {"class": "sheet", id: "sheet-" + sheet.id});
      var controls = el("div", {"class": "controls"});
      sheet.controls.forEach(function (name) {
        var p = SPEC.parameters[name], input;
        if (p.type === "STRING") {
          input = el("select", {id: "param-" + sheet.id + "-" + name, "data-parameter": name});
          p.values.forEach(function (v) { input.appendChild(el("option", {value: v}, v)); });
        } else {
          input = el("input", {type: "number", min: "1", id: "param-" + sheet.id + "-" + name, "data-parameter": name});
        }
        input.value = String(state.params[name]);
        controls.appendChild(control(p.label, input, function (v) {
          state.params[name] = p.type === "INTEGER" ? Math.max(1, Number(v) || p.default) : v;
          document.querySelectorAll('[data-parameter="' + name + '"]').forEach(function (other) { other.value = String(state.params[name]); });
        }));
      });
      section.appendChild(controls);
      var grid = el("div", {"class": "grid"});
      sheet.visuals.forEach(function (visual) {
        var box = el("div", {"class": "visual " + visual.type, "data-visual-id": visual.id, "data-type": visual.type});
        box.appendChild(el("h2"));
        var cut = DATA.data[visual.id].truncated;
        if (cut) {
          // Over the row cap only the newest whole days were embedded: say so instead of showing wrong totals.
          box.setAttribute("data-truncated", cut.from);
          box.appendChild(el("p", {"class": "truncated"}, "Truncated: more than " + cut.maxRows.toLocaleString("en-US") +
            " rows, so only data from " + cut.from + " on is included."));
        }
        box.appendChild(el("div", {"class": "body"}));
        grid.appendChild(box);
      });
      section.appendChild(grid);
      sheets.appendChild(section);
    });
    var footer = el("footer", {}, "Rendered " + DATA.renderedAt + " from the DuckDB warehouse; charts by Apache ECharts.");
    document.body.appendChild(footer);
    window.addEventListener("resize", function () { Object.keys(charts).forEach(function (id) { charts[id].resize(); }); });
    renderSheet();
  }
  build();
})();

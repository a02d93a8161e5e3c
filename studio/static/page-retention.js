// Retention analysis: of the users who first did the start event in a period, how many came back in each later one.

import { defaults } from "./catalog.js";
import { GRID } from "./charts.js";
import { $, el } from "./dom.js";
import { analysisPage } from "./explore.js";
import { percent } from "./format.js";
import { bucketSelect, common, conditionLine, dateInputs, eventSelect, propertySelect, splitProperty } from "./forms.js";

function form(node) {
  node.append(
    el("fieldset", {}, [el("legend", { text: "Users who" }), el("div", { class: "line" }, [
      el("label", { text: "first did " }), eventSelect("startEvent", defaults().retention[0]),
      el("label", { text: "and came back to do " }), eventSelect("backEvent", defaults().retention[1]),
    ]), el("div", { class: "line" }, [
      el("label", { text: "with the same value of (optional) " }), propertySelect("joinProperty", "(any value)"),
    ])]),
    el("fieldset", {}, [el("legend", { text: "Periods" }), el("div", { class: "line" }, [
      bucketSelect("groupColumn", "Cohorts per"),
      el("label", { text: "Show periods " }), el("input", { type: "number", name: "periods", value: "8", min: "1", max: "60", style: "width:5em" }),
    ])]),
    conditionLine(),
    dateInputs(),
  );
}

function request(node) {
  const join = node.joinProperty.value ? { retentionJoinColumn: splitProperty(node.joinProperty.value) } : {};
  return {
    ...common(node), periods: Number(node.periods.value || 8),
    pairEventAndConditions: [{ startEvent: { eventName: node.startEvent.value, ...join },
      backEvent: { eventName: node.backEvent.value, ...join } }],
  };
}

function periodsAndCohorts(rows) {
  return [[...new Set(rows.map((r) => r.period))].sort((a, b) => a - b), [...new Set(rows.map((r) => r.cohort))].sort()];
}

// one line per cohort across the periods after it
function chart(rows) {
  const [periods, cohorts] = periodsAndCohorts(rows);
  return {
    tooltip: { trigger: "axis" }, legend: { type: "scroll", top: 0 }, grid: GRID,
    xAxis: { type: "category", data: periods.map((p) => `+${p}`) }, yAxis: { type: "value", max: 1, axisLabel: { formatter: (v) => `${v * 100}%` } },
    series: cohorts.map((c) => ({ name: c, type: "line",
      data: periods.map((p) => (rows.find((r) => r.cohort === c && r.period === p) || { rate: null }).rate) })),
  };
}

// the classic cohort grid under the chart: a row per cohort with its size, a shaded cell per period
function retentionTable(rows) {
  const [periods, cohorts] = periodsAndCohorts(rows);
  const header = el("tr", {}, [el("th", { text: "Cohort" }), el("th", { text: "Users" }),
    ...periods.map((p) => el("th", { text: `+${p}` }))]);
  const body = cohorts.map((c) => {
    const size = (rows.find((r) => r.cohort === c) || { cohort_users: 0 }).cohort_users;
    return el("tr", {}, [el("td", { text: c }), el("td", { class: "num", text: String(size) }),
      ...periods.map((p) => {
        const row = rows.find((r) => r.cohort === c && r.period === p);
        if (!row) return el("td", { class: "num muted", title: "not over yet", text: "" });
        return el("td", { class: "num", style: `background: rgba(37, 99, 235, ${row.rate * 0.8})`, title: `${row.users} users`,
          text: percent(row.rate) });
      })]);
  });
  $("retention-table").replaceChildren(el("h3", { text: "Retention table" }), el("table", { id: "retention-grid" }, [header, ...body]));
}

export default analysisPage({
  kind: "retention",
  title: "Retention analysis",
  help: "Of the users who first did the start event in a period, how many did the return event in that same period (+0, as the original) and in each later one.",
  form, request, chart, underChart: retentionTable,
});

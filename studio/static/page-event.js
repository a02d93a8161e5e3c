// Event analysis: how often events happen, or how many users do them, per period; grouped by a property.

import { defaults } from "./catalog.js";
import { GRID } from "./charts.js";
import { el } from "./dom.js";
import { analysisPage } from "./explore.js";
import { bucketSelect, common, conditionLine, dateInputs, eventSelect, list, propertySelect, splitProperty } from "./forms.js";

const MEASURES = [["USER_ID_CNT", "Users"], ["EVENT_CNT", "Events"], ["sum", "Sum of"], ["avg", "Average of"],
  ["median", "Median of"], ["min", "Minimum of"], ["max", "Maximum of"], ["COUNT_PROPERTY", "Distinct values of"]];

function form(node) {
  node.append(
    list("Metrics", "metric", (value) => {
      const measure = el("select", { name: "measure" }, MEASURES.map(([v, t]) => el("option", { value: v, text: t })));
      const property = propertySelect("property", null, "event|event_value");
      const toggle = () => { property.hidden = ["USER_ID_CNT", "EVENT_CNT"].includes(measure.value); };
      measure.addEventListener("change", toggle);
      toggle();
      return [eventSelect("eventName", value), measure, property];
    }, 1, 10, [defaults().event]),
    conditionLine(),
    el("fieldset", {}, [el("legend", { text: "Breakdown" }), el("div", { class: "line" }, [
      el("label", { text: "Group by " }), propertySelect("groupBy", "(no grouping)"), bucketSelect(),
    ])]),
    dateInputs(),
  );
}

function request(node) {
  const metrics = [...node.querySelectorAll("[data-item=metric]")].map((row) => {
    const measure = row.querySelector("[name=measure]").value;
    const metric = { eventName: row.querySelector("[name=eventName]").value };
    if (measure === "USER_ID_CNT" || measure === "EVENT_CNT") metric.computeMethod = measure;
    else {
      const target = { ...splitProperty(row.querySelector("[name=property]").value), operator: "is_not_null" };
      metric.computeMethod = measure === "COUNT_PROPERTY" ? "COUNT_PROPERTY" : "AGGREGATION_PROPERTY";
      metric.eventExtParameter = { targetProperty: target, aggregationMethod: measure === "COUNT_PROPERTY" ? null : measure };
    }
    return metric;
  });
  return { ...common(node), eventAndConditions: metrics };
}

// one line per metric, or per metric and group value
function chart(rows) {
  const buckets = [...new Set(rows.map((r) => r.bucket))].sort();
  const series = new Map();
  for (const r of rows) {
    const name = r.group_value ? `${r.event_name} · ${r.group_value}` : `${r.metric}. ${r.event_name}`;
    if (!series.has(name)) series.set(name, new Map());
    series.get(name).set(r.bucket, r.value);
  }
  return {
    tooltip: { trigger: "axis" }, legend: { type: "scroll", top: 0 }, grid: GRID,
    xAxis: { type: "category", data: buckets }, yAxis: { type: "value" },
    series: [...series].map(([name, values]) => ({ name, type: "line", data: buckets.map((b) => values.get(b) ?? 0) })),
  };
}

export default analysisPage({
  kind: "event",
  title: "Event analysis",
  help: "How often events happen, or how many users do them, per day, week or month. Add several metrics to compare them; group by a property to split each line.",
  form, request, chart,
});

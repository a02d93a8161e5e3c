// Funnel analysis: how many users go through the steps in order, within a conversion window.

import { defaults } from "./catalog.js";
import { EVERY_NAME, GRID } from "./charts.js";
import { el } from "./dom.js";
import { analysisPage } from "./explore.js";
import { percent } from "./format.js";
import { common, conditionLine, dateInputs, eventSelect, list, propertySelect, showWhen } from "./forms.js";

function form(node) {
  node.append(
    list("Steps, in order", "step", (value) => [eventSelect("eventName", value)], 2, 10, defaults().funnel),
    el("fieldset", {}, [el("legend", { text: "Conversion" }), el("div", { class: "line" }, [
      el("label", { text: "Each step within " }),
      el("select", { name: "windowType" }, [
        el("option", { value: "CUSTOMIZE", text: "minutes of the first step:" }),
        el("option", { value: "CURRENT_DAY", text: "the same day as the first step" }),
      ]),
      el("input", { type: "number", name: "windowMinutes", value: "60", min: "1", style: "width:6em" }),
      el("label", { text: "Count " }),
      el("select", { name: "count" }, [el("option", { value: "USER_ID_CNT", text: "users" }),
        el("option", { value: "EVENT_CNT", text: "first-step events" })]),
    ])]),
    conditionLine(),
    el("fieldset", {}, [el("legend", { text: "Breakdown" }), el("div", { class: "line" }, [
      el("label", { text: "Group by (first step's) " }), propertySelect("groupBy", "(no grouping)"),
    ])]),
    dateInputs(),
  );
  showWhen(node.windowType, node.windowMinutes, "CUSTOMIZE");
}

function request(node) {
  const steps = [...node.querySelectorAll("[data-item=step] [name=eventName]")].map((s) => ({ eventName: s.value }));
  return {
    ...common(node), eventAndConditions: steps, computeMethod: node.count.value,
    conversionIntervalType: node.windowType.value,
    conversionIntervalInSeconds: Math.max(1, Math.round(Number(node.windowMinutes.value || 60) * 60)),
  };
}

// one bar per step, labelled with its count and its conversion from step 1; one series per group value
function chart(rows) {
  const groups = [...new Set(rows.map((r) => r.group_value))];
  const steps = [...new Set(rows.map((r) => `${r.step}. ${r.event_name}`))];
  return {
    tooltip: { trigger: "axis" }, legend: { show: groups.length > 1 }, grid: GRID,
    xAxis: { type: "category", data: steps, axisLabel: EVERY_NAME }, yAxis: { type: "value" },
    series: groups.map((g) => ({
      name: g || "All", type: "bar",
      data: rows.filter((r) => r.group_value === g).map((r) => r.count),
      label: { show: true, position: "top", formatter: (p) => {
        const row = rows.filter((r) => r.group_value === g)[p.dataIndex];
        return `${p.value.toLocaleString("en-US")} (${percent(row.conversion_rate)})`;
      } },
    })),
  };
}

export default analysisPage({
  kind: "funnel",
  title: "Funnel analysis",
  help: "How many users go through the steps in order, each step within the conversion window counted from the first step. Counting events, a step counts the events that are some start's earliest next step, so no step exceeds the one before (the original's count could).",
  form, request, chart,
});

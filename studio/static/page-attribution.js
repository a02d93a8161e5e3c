// Attribution analysis: which touchpoints lead to the goal, each goal's credit shared by the chosen model.

import { defaults } from "./catalog.js";
import { EVERY_NAME, GRID } from "./charts.js";
import { el } from "./dom.js";
import { analysisPage } from "./explore.js";
import { percent } from "./format.js";
import { common, conditionLine, dateInputs, eventSelect, list, showWhen } from "./forms.js";

const MODELS = [["LAST_TOUCH", "Last touch: all credit to the last touchpoint"],
  ["FIRST_TOUCH", "First touch: all credit to the first touchpoint"],
  ["LINEAR", "Linear: equal credit to every touchpoint"],
  ["TIME_DECAY", "Time decay: each touchpoint half the credit of the next"],
  ["POSITION", "Position based: 40% first, 40% last, 20% shared by the middle"]];

function form(node) {
  node.append(
    el("fieldset", {}, [el("legend", { text: "Goal" }), el("div", { class: "line" }, [
      eventSelect("goal", defaults().goal),
      el("label", { text: "worth " }),
      el("select", { name: "goalValue" }, [el("option", { value: "EVENT_CNT", text: "1 per goal event" }),
        el("option", { value: "SUM_VALUE", text: "its event value" })]),
    ])]),
    list("Touchpoints", "touchpoint", (value) => [eventSelect("eventName", value)], 1, 10, defaults().touchpoints),
    el("fieldset", {}, [el("legend", { text: "Model" }), el("div", { class: "line" }, [
      el("select", { name: "model" }, MODELS.map(([v, t]) => el("option", { value: v, text: t }))),
      el("label", { text: "Touchpoints count within " }),
      el("select", { name: "windowType" }, [el("option", { value: "SESSION", text: "the goal's session" }),
        el("option", { value: "CURRENT_DAY", text: "the goal's day" }),
        el("option", { value: "CUSTOMIZE", text: "minutes before the goal:" })]),
      el("input", { type: "number", name: "windowMinutes", value: "60", min: "1", style: "width:6em" }),
    ])]),
    conditionLine(),
    dateInputs(),
  );
  showWhen(node.windowType, node.windowMinutes, "CUSTOMIZE");
}

function request(node) {
  const touches = [...node.querySelectorAll("[data-item=touchpoint] [name=eventName]")].map((s) => ({ eventName: s.value }));
  const goal = { eventName: node.goal.value, computeMethod: node.goalValue.value };
  if (goal.computeMethod === "SUM_VALUE") {
    goal.eventExtParameter = { targetProperty: { category: "event", property: "event_value", operator: "is_not_null" } };
  }
  return {
    ...common(node), targetEventAndCondition: goal, eventAndConditions: touches, modelType: node.model.value,
    timeWindowType: node.windowType.value,
    timeWindowInSeconds: Math.max(1, Math.round(Number(node.windowMinutes.value || 60) * 60)),
  };
}

// one bar per touchpoint, labelled with its share of the credit
function chart(rows) {
  return {
    tooltip: { trigger: "axis" }, grid: GRID,
    xAxis: { type: "category", data: rows.map((r) => `${r.touchpoint}. ${r.event_name}`), axisLabel: EVERY_NAME },
    yAxis: { type: "value" },
    series: [{ name: "Contribution", type: "bar", data: rows.map((r) => r.contribution),
      label: { show: true, position: "top", formatter: (p) => percent(rows[p.dataIndex].contribution_rate) } }],
  };
}

export default analysisPage({
  kind: "attribution",
  title: "Attribution analysis",
  help: "Which touchpoints lead to the goal: each goal event's credit is shared among the touchpoint events before it, by the model you choose.",
  form, request, chart,
});

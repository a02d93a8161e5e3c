// The parts the analysis forms share: event and property pickers from the catalog, the time range, lists of
// rows to add and remove, the optional filter, and the request fields every analysis sends.

import { catalog } from "./catalog.js";
import { el } from "./dom.js";
import { displayName, label } from "./format.js";

export function eventSelect(name, value) {
  const options = catalog.events.map((e) => el("option", {
    value: e.name, text: label(displayName(e), e.name), selected: e.name === value,
  }));
  return el("select", { name, "data-role": "event" }, options);
}

const CORE_PROPERTIES = [
  ["event_outer", "platform"], ["event", "event_value"], ["geo", "geo_country"],
  ["app_info", "app_version"], ["device", "device_ua_browser"],
];

function propertyOptions(withUsers = false) {
  const seen = new Set();
  const options = [];
  for (const p of catalog.parameters) {
    const key = `${p.category}|${p.name}`;
    if (seen.has(p.name)) continue;
    seen.add(p.name);
    options.push([key, label(displayName(p), p.name)]);
  }
  for (const [category, name] of CORE_PROPERTIES) if (!seen.has(name)) options.push([`${category}|${name}`, name]);
  if (withUsers) {
    for (const a of catalog.userAttributes || []) {
      if (a.name.startsWith("_")) continue;  // the SDK's reserved attributes are columns under other names
      options.push([`user|${a.name}`, `user · ${label(displayName(a), a.name)}`]);
    }
  }
  return options;
}

export function propertySelect(name, empty, value, withUsers = false) {
  const options = propertyOptions(withUsers).map(([key, text]) => el("option", { value: key, text, selected: key === value }));
  if (empty) options.unshift(el("option", { value: "", text: empty }));
  return el("select", { name }, options);
}

export function splitProperty(value) {
  const [category, property] = value.split("|");
  return { category, property };
}

// The thirty days up to the newest published event (or today, before any is published).
export function dateInputs() {
  const end = catalog.newest || new Date().toISOString().slice(0, 10);
  const start = new Date(Date.parse(end) - 29 * 86400000).toISOString().slice(0, 10);
  return el("fieldset", {}, [el("legend", { text: "Time range" }), el("div", { class: "line" }, [
    el("label", { text: "From " }), el("input", { type: "date", name: "timeStart", value: start }),
    el("label", { text: "to " }), el("input", { type: "date", name: "timeEnd", value: end }),
  ])]);
}

export function bucketSelect(name = "groupColumn", text = "Per") {
  return el("label", { text: `${text} ` }, el("select", { name }, [
    el("option", { value: "DAY", text: "day" }), el("option", { value: "WEEK", text: "week" }),
    el("option", { value: "MONTH", text: "month" }),
  ]));
}

// Rows of inputs (metrics, steps, touchpoints) between min and max, one per initial value.
export function list(legend, kind, makeRow, min, max, initial) {
  const rows = el("div", { "data-list": kind });
  const add = el("button", { type: "button", text: `+ Add ${kind}`, onclick: () => {
    if (rows.children.length < max) rows.append(wrapRow(makeRow(null)));
  } });
  function wrapRow(parts) {
    const remove = el("button", { type: "button", class: "remove", text: "Remove", onclick: () => {
      if (rows.children.length > min) row.remove();
    } });
    const row = el("div", { class: "line", "data-item": kind }, [...parts, remove]);
    return row;
  }
  for (const value of initial) rows.append(wrapRow(makeRow(value)));
  return el("fieldset", {}, [el("legend", { text: legend }), rows, add]);
}

export function conditionLine() {
  const operators = [["=", "is"], ["<>", "is not"], ["in", "is one of (comma separated)"], ["contains", "contains"],
    [">", ">"], [">=", "≥"], ["<", "<"], ["<=", "≤"], ["is_not_null", "is set"], ["is_null", "is not set"]];
  return el("fieldset", {}, [el("legend", { text: "Only events where (optional)" }), el("div", { class: "line" }, [
    propertySelect("filterProperty", "(no filter)", null, true),
    el("select", { name: "filterOperator" }, operators.map(([v, t]) => el("option", { value: v, text: t }))),
    el("input", { name: "filterValue", placeholder: "value" }),
  ])]);
}

// Show an input only while a select has one value (the minutes of a custom window, say).
export function showWhen(select, input, value) {
  const toggle = () => { input.hidden = select.value !== value; };
  select.addEventListener("change", toggle);
  toggle();
}

// What every analysis request carries: the app, the time range, and the grouping and filter when the form has them.
export function common(form) {
  const body = { appId: catalog.app, timeScopeType: "FIXED", timeStart: form.timeStart.value, timeEnd: form.timeEnd.value };
  if (form.groupColumn) body.groupColumn = form.groupColumn.value;
  if (form.groupBy && form.groupBy.value) body.groupCondition = { applyTo: "FIRST", conditions: [splitProperty(form.groupBy.value)] };
  if (form.filterProperty && form.filterProperty.value) {
    const operator = form.filterOperator.value;
    const raw = form.filterValue.value;
    const value = ["is_null", "is_not_null"].includes(operator) ? [] : operator === "in" ? raw.split(",").map((v) => v.trim()) : [raw];
    const numeric = [">", ">=", "<", "<="].includes(operator);
    body.globalEventCondition = { conditions: [{ ...splitProperty(form.filterProperty.value), operator, value, dataType: numeric ? "double" : "string" }] };
  }
  return body;
}

// The dashboards page: saved dashboards (sheets of published analyses, re-run on current data with the
// dashboard's date range and platforms), and the dashboards the pipeline rendered or QuickSight holds.

import { api, authorization } from "./api.js";
import { clearChart, drawChart } from "./charts.js";
import { $, el, reportingTo } from "./dom.js";
import attribution from "./page-attribution.js";
import event from "./page-event.js";
import funnel from "./page-funnel.js";
import path from "./page-path.js";
import retention from "./page-retention.js";
import { WRITERS, dashboardsPath } from "./publishing.js";
import { can } from "./session.js";

const CHARTS = { event, funnel, path, retention, attribution };
const base = dashboardsPath;
let opened = null;  // the saved dashboard on screen

function setUp() {
  $("dashboard-create").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = event.target.dashboardName.value.trim();
    await attempt(async () => {
      const created = await api("POST", base(), { name });
      event.target.reset();
      await show();
      await openSaved(created.id);
    });
  });
  $("dashboard-apply").addEventListener("click", () => attempt(() => openSaved(opened.id, controlsQuery())));
}

const attempt = (action) => reportingTo("dashboards-error", action);

async function show() {
  $("dashboard-create").hidden = !can(WRITERS);
  $("dashboard-frame").hidden = true;
  $("saved-dashboard").hidden = true;
  // the previous visit's list goes at once: a click on it could land after this visit has replaced it
  $("dashboard-list").replaceChildren(el("p", { class: "muted", text: "Loading…" }));
  const dashboards = await api("GET", base());
  $("dashboard-list").replaceChildren(dashboards.length
    ? el("table", {}, [el("tr", {}, ["Dashboard", "Kind", "Updated", ""].map((t) => el("th", { text: t }))),
      ...dashboards.map((d) => el("tr", { "data-dashboard": d.id }, [el("td", { text: d.title }), el("td", { text: d.kind }),
        el("td", { text: (d.updateAt || d.renderedAt || "").slice(0, 16).replace("T", " ") }),
        el("td", {}, [el("button", { type: "button", class: "open", text: "Open",
          onclick: () => attempt(() => (d.kind === "saved" ? openSaved(d.id) : open(d))) }),
        d.kind === "saved" && can(WRITERS) ? el("button", { type: "button", class: "remove", text: "Delete",
          onclick: () => attempt(async () => { await api("DELETE", `${base()}/${d.id}`); await show(); }) }) : null])]))])
    : el("p", { class: "muted", text: "No dashboards yet: create one, then add analyses to it from their pages." }));
}

// --- saved dashboards -------------------------------------------------------------------------------------------

function controlsQuery() {
  const query = new URLSearchParams();
  if ($("dashboard-from").value && $("dashboard-to").value) {
    query.set("timeScopeType", "FIXED");
    query.set("timeStart", $("dashboard-from").value);
    query.set("timeEnd", $("dashboard-to").value);
  }
  for (const platform of $("dashboard-platforms").value.split(/[\s,]+/).filter(Boolean)) query.append("platform", platform);
  return query;
}

async function openSaved(id, query = new URLSearchParams()) {
  const [dashboard, data] = await Promise.all([api("GET", `${base()}/${id}`),
    api("GET", `${base()}/${id}/data${query.size ? `?${query}` : ""}`)]);
  opened = dashboard;
  const controls = data.controls;
  $("dashboard-from").value = controls.timeStart || "";
  $("dashboard-to").value = controls.timeEnd || "";
  $("dashboard-platforms").value = (controls.platforms || []).join(", ");
  $("saved-title").textContent = dashboard.name;
  $("saved-dashboard").hidden = false;
  const answers = new Map(data.visuals.map((answer) => [answer.visualId, answer]));
  const sheets = dashboard.sheets.map((sheet) => el("div", { class: "sheet", "data-sheet": sheet.id }, [
    el("h3", { text: sheet.name }),
    sheet.visuals.length ? el("div", { class: "visuals" }, sheet.visuals.map((visual, index) =>
      visualCard(dashboard, sheet, visual, index, answers.get(visual.id))))
      : el("p", { class: "muted", text: "No visuals yet: run an analysis and add it to this sheet." }),
  ]));
  $("saved-sheets").replaceChildren(...sheets);
  for (const node of document.querySelectorAll("#saved-sheets .visual-chart")) {
    const answer = answers.get(node.dataset.visual);
    const visual = dashboard.sheets.flatMap((s) => s.visuals).find((v) => v.id === node.dataset.visual);
    if (answer && answer.result && answer.result.rows.length) drawChart(node, CHARTS[visual.analysis].chart(answer.result.rows));
  }
}

function visualCard(dashboard, sheet, visual, index, answer) {
  const chart = el("div", { class: "visual-chart", "data-visual": visual.id });
  if (!answer || answer.error) chart.append(el("p", { class: "error", text: answer ? answer.error : "not run" }));
  else if (!answer.result.rows.length) chart.append(el("p", { class: "muted", text: "No data in this range." }));
  const moves = can(WRITERS) ? [
    el("button", { type: "button", class: "up", text: "↑", title: "Move up", disabled: index === 0,
      onclick: () => attempt(() => arrange(dashboard, sheet.id, index, index - 1)) }),
    el("button", { type: "button", class: "down", text: "↓", title: "Move down", disabled: index === sheet.visuals.length - 1,
      onclick: () => attempt(() => arrange(dashboard, sheet.id, index, index + 1)) }),
    el("button", { type: "button", class: "remove", text: "Remove", onclick: () => attempt(() => arrange(dashboard, sheet.id, index, null)) }),
  ] : [];
  return el("div", { class: "card visual", "data-visual": visual.id }, [
    el("div", { class: "row" }, [el("strong", { text: visual.title }), el("span", { class: "muted", text: visual.analysis }),
      el("span", { class: "spacer" }), ...moves]),
    chart,
  ]);
}

// Move a visual within its sheet (to ``to``), or remove it (``to`` null), and save the sheets.
async function arrange(dashboard, sheetId, from, to) {
  const sheets = dashboard.sheets.map((sheet) => {
    if (sheet.id !== sheetId) return sheet;
    const visuals = [...sheet.visuals];
    const [moved] = visuals.splice(from, 1);
    if (to !== null) visuals.splice(to, 0, moved);
    return { ...sheet, visuals };
  });
  for (const node of document.querySelectorAll("#saved-sheets .visual-chart")) clearChart(node);
  await api("PUT", `${base()}/${dashboard.id}`, { sheets });
  await openSaved(dashboard.id, controlsQuery());
}

// --- rendered and QuickSight dashboards ---------------------------------------------------------------------------

async function open(dashboard) {
  $("saved-dashboard").hidden = true;
  const found = await api("GET", `${base()}/${encodeURIComponent(dashboard.id)}`);
  const frame = $("dashboard-frame");
  if (dashboard.kind === "rendered") {
    // the page's scripts run in a sandbox with an opaque origin: they cannot read the Studio's token or cookie
    const html = await (await fetch(found.url, { headers: authorization(), credentials: "same-origin" })).text();
    frame.setAttribute("sandbox", "allow-scripts");
    frame.removeAttribute("src");
    frame.srcdoc = html;
  } else {
    // QuickSight's own origin keeps it apart from the Studio; its embedding needs its storage, so no sandbox
    frame.removeAttribute("sandbox");
    frame.removeAttribute("srcdoc");
    frame.src = found.url;
  }
  frame.hidden = false;
}

export default { section: "page-dashboards", show, setUp };

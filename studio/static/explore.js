// The five analysis pages share one section of index.html: a form, then a chart, a data table and the SQL.
// A page module describes its form, its request and its chart; this module shows it, runs it and draws the
// result. Each page keeps its own last result; the CSV export saves the result of the page on screen.

import { api } from "./api.js";
import { catalog } from "./catalog.js";
import { publishTargets } from "./publishing.js";
import { clearChart, drawChart } from "./charts.js";
import { $, el } from "./dom.js";
import { downloadCsv, renderTable } from "./table.js";

let onScreen = null;

// kind names the API route (/api/reporting/<kind>); form(form) fills the form, request(form) reads it into the
// request body, chart(rows) is the ECharts option, and the optional underChart(rows) draws more below it.
export function analysisPage({ kind, title, help, form, request, chart, underChart }) {
  const page = { kind, title, help, form, request, chart, underChart, section: "page-explore", state: { result: null } };
  page.show = () => show(page);
  return page;
}

export function setUpExplore() {
  $("publish-button").addEventListener("click", publish);
  $("export-csv").addEventListener("click", () => {
    const { result } = onScreen.state;
    downloadCsv(`${onScreen.kind}-${catalog.app}.csv`, result.columns, result.rows);
  });
}

function show(page) {
  onScreen = page;
  $("explore-title").textContent = page.title;
  $("explore-help").textContent = page.help;
  $("explore-error").textContent = "";
  $("result").hidden = true;
  $("publish-title").value = "";
  const form = $("explore-form");
  form.replaceChildren();
  form.onsubmit = (event) => { event.preventDefault(); run(page); };
  if (!catalog.events.length) {
    form.append(el("p", { text: "No events yet for this app: run a pipeline cycle (clickstream run), then reload." }));
    return;
  }
  page.form(form);
  form.append(el("button", { type: "submit", class: "primary", id: "run", text: "Run analysis" }));
}

async function run(page) {
  $("explore-error").textContent = "";
  const button = $("run");
  button.disabled = true;
  button.textContent = "Running…";
  try {
    const result = await api("POST", `/api/reporting/${page.kind}`, page.request($("explore-form")));
    page.state.result = result;
    showResult(page, result);
  } catch (error) {
    $("explore-error").textContent = error.message;
  } finally {
    button.disabled = false;
    button.textContent = "Run analysis";
  }
}

function showResult(page, result) {
  $("result").hidden = false;
  $("sql").textContent = result.sql;
  $("retention-table").replaceChildren();
  renderTable($("table"), result.columns, result.rows);
  const chartNode = $("chart");
  chartNode.hidden = false;
  if (!result.rows.length) {
    clearChart(chartNode);
    chartNode.replaceChildren(el("p", { class: "muted", text: "No data for this selection: widen the time range or change the events." }));
    return;
  }
  drawChart(chartNode, page.chart(result.rows));
  if (page.underChart) page.underChart(result.rows);
  $("result").scrollIntoView({ block: "start" });
  offerPublishing(page).catch(() => { $("publish").hidden = true; });
}

// "Add to dashboard": the saved dashboards' sheets this user may add the analysis on screen to.
async function offerPublishing(page) {
  const targets = await publishTargets();
  $("publish").hidden = !targets.length;
  $("publish-target").replaceChildren(...targets.map((t) => el("option", { value: t.value, text: t.text })));
  if (!$("publish-title").value) $("publish-title").value = page.title;  // a title being typed stays
  $("publish-done").textContent = "";
}

async function publish() {
  const [dashboardId, sheetId] = $("publish-target").value.split("|");
  const body = { ...onScreen.request($("explore-form")), action: "PUBLISH", dashboardId, sheetId,
    chartTitle: $("publish-title").value.trim() || onScreen.title };
  try {
    await api("POST", `/api/reporting/${onScreen.kind}`, body);
    $("publish-done").textContent = `Added to ${$("publish-target").selectedOptions[0].text}.`;
  } catch (error) { $("explore-error").textContent = error.message; }
}

// The pipeline page: the last cycles and their stages, how fresh the data is, what was rejected, and the
// collector's counters. The lag, the reject rate and a failed cycle are flagged over the configured limits.

import { api } from "./api.js";
import { $, el } from "./dom.js";
import { session } from "./session.js";

function setUp() {
  $("pipeline-refresh").addEventListener("click", show);
}

async function show() {
  const status = await api("GET", `/api/pipeline/${encodeURIComponent(session.project)}`);
  const alerts = new Set(status.alerts);
  $("pipeline-tiles").replaceChildren(
    tile("Last cycle", status.cycles.length ? status.cycles[0].status : "none yet",
      status.cycles.length ? `started ${when(status.cycles[0].startedAt)}` : "run `clickstream run`", alerts.has("failed"), "cycle"),
    tile("Data lag", status.freshness.lagSeconds === null ? "no data" : duration(status.freshness.lagSeconds),
      status.freshness.newestEventTime ? `newest event ${when(status.freshness.newestEventTime)}` : "",
      alerts.has("lag"), "lag", `limit ${duration(status.thresholds.maxLagSeconds)}`),
    tile("Rejected, last 24 h", `${status.rejected.total.toLocaleString()} (${percent(status.rejected.rate)})`,
      `limit ${percent(status.thresholds.maxRejectRate)}`, alerts.has("rejects"), "rejects"),
    collectorTile(status.collector),
  );
  $("pipeline-cycles").replaceChildren(status.cycles.length ? cyclesTable(status.cycles)
    : el("p", { class: "muted", text: "No cycle has run yet." }));
  $("pipeline-rejects").replaceChildren(status.rejected.byReason.length ? rejectsTable(status.rejected.byReason)
    : el("p", { class: "muted", text: "Nothing rejected in the last 24 hours." }));
  $("pipeline-aws").hidden = !status.aws;
  if (status.aws) $("pipeline-aws-body").replaceChildren(...awsTables(status.aws, alerts));
}

// The AWS deployment: each stack's status, and the state machine's last runs (newest first).
function awsTables(aws, alerts) {
  if (aws.error) return [el("p", { class: "error", text: `${aws.stackName}: ${aws.error}` })];
  const stacks = el("table", { class: alerts.has("stacks") ? "alert" : "" }, [
    el("tr", {}, ["Stack", "Status", "Reason"].map((text) => el("th", { text }))),
    ...aws.stacks.map((stack) => el("tr", { "data-stack": stack.name }, [el("td", { text: stack.name }),
      el("td", { class: /FAILED|ROLLBACK/.test(stack.status) ? "status-failed" : "status-ok", text: stack.status }),
      el("td", { class: "detail", text: stack.reason })])),
  ]);
  const runs = aws.executions.length ? el("table", {}, [
    el("tr", {}, ["State machine run", "Status", "Started", "Ended"].map((text) => el("th", { text }))),
    ...aws.executions.map((run) => el("tr", { "data-execution": run.name }, [el("td", { text: run.name }),
      el("td", { class: run.status === "SUCCEEDED" ? "status-ok" : run.status === "RUNNING" ? "status-running" : "status-failed",
        text: run.status }),
      el("td", { text: when(run.startedAt) }), el("td", { text: run.endedAt ? when(run.endedAt) : "" })])),
  ]) : el("p", { class: "muted", text: "The state machine has not run yet." });
  return [stacks, runs];
}

function tile(title, value, note, alert, name, limit = "") {
  return el("div", { class: alert ? "tile alert" : "tile", "data-tile": name }, [
    el("div", { class: "muted", text: title }), el("div", { class: "tile-value", text: value }),
    el("div", { class: "muted", text: [note, limit].filter(Boolean).join(" · ") }),
  ]);
}

function collectorTile(collector) {
  if (!collector.reachable) return tile("Collector", "not reachable", collector.url, true, "collector");
  const total = (prefix) => Object.entries(collector.requests).filter(([status]) => status.startsWith(prefix))
    .reduce((sum, [, count]) => sum + count, 0);
  const refused = Object.entries(collector.refusals).sort((a, b) => b[1] - a[1]).slice(0, 3)
    .map(([reason, count]) => `${reason}: ${count}`).join(", ");
  return tile("Collector", `${total("2").toLocaleString()} accepted`,
    `${total("4").toLocaleString()} refused, ${total("5").toLocaleString()} failed${refused ? ` (${refused})` : ""}`,
    false, "collector");
}

function cyclesTable(cycles) {
  const header = el("tr", {}, ["Started", "Status", "Stage", "Stage status", "Rows in", "Rows out", "Took", "Detail"]
    .map((text) => el("th", { text })));
  const rows = cycles.flatMap((cycle) => cycle.stages.map((stage, index) => el("tr",
    { class: index === 0 ? "cycle-start" : "", "data-run": cycle.runId }, [
      el("td", { text: index === 0 ? when(cycle.startedAt) : "" }),
      index === 0 ? el("td", { class: `status-${cycle.status}`, text: cycle.status }) : el("td"),
      el("td", { text: stage.stage }), el("td", { class: `status-${stage.status}`, text: stage.status }),
      el("td", { class: "num", text: stage.rowsIn.toLocaleString() }),
      el("td", { class: "num", text: stage.rowsOut.toLocaleString() }),
      el("td", { class: "num", text: duration((Date.parse(stage.endedAt) - Date.parse(stage.startedAt)) / 1000) }),
      el("td", { class: "detail", text: stage.detail }),
    ])));
  return el("table", {}, [header, ...rows]);
}

function rejectsTable(reasons) {
  const header = el("tr", {}, ["Reason", "Records", "Examples"].map((text) => el("th", { text })));
  return el("table", {}, [header, ...reasons.map((reason) => el("tr", { "data-reason": reason.reason }, [
    el("td", { text: reason.reason }), el("td", { class: "num", text: reason.count.toLocaleString() }),
    el("td", {}, reason.samples.map((sample) => el("details", {}, [
      el("summary", { text: `${sample.detail || reason.reason} (${sample.sourceFile})` }),
      el("pre", { text: sample.payload }),
    ]))),
  ]))]);
}

function when(iso) { return iso.slice(0, 19).replace("T", " ") + " UTC"; }

function percent(rate) { return `${(rate * 100).toFixed(rate < 0.001 && rate > 0 ? 3 : 1)} %`; }

function duration(seconds) {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

export default { section: "page-pipeline", show, setUp };

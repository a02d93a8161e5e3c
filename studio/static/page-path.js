// Path analysis: where users go after a starting event or page, step by step, drawn as a Sankey diagram.

import { catalog, defaults } from "./catalog.js";
import { el } from "./dom.js";
import { analysisPage } from "./explore.js";
import { common, conditionLine, dateInputs, eventSelect, showWhen } from "./forms.js";

const NODE_TYPES = [["event", "Events"], ["page_view_page_title", "Page titles"], ["page_view_page_url", "Page URLs"],
  ["screen_view_screen_name", "Screen names"], ["screen_view_screen_id", "Screen ids"]];
const NODE_LISTS = { page_view_page_title: "pageTitles", page_view_page_url: "pageUrls",
  screen_view_screen_name: "screenNames", screen_view_screen_id: "screenIds" };

function form(node) {
  const nodeType = el("select", { name: "nodeType" }, NODE_TYPES.map(([v, t]) => el("option", { value: v, text: t })));
  const startLine = el("div", { class: "line" });
  const refreshStart = () => {
    if (nodeType.value === "event") {
      startLine.replaceChildren(el("label", { text: "Start at event " }), eventSelect("start", defaults().pathStart));
    } else {
      const values = (catalog.pathNodes[NODE_LISTS[nodeType.value]] || []).map((v) => v.value);
      startLine.replaceChildren(el("label", { text: "Start at " }), el("select", { name: "start" },
        [el("option", { value: "", text: "(wherever the path starts)" }), ...values.map((v) => el("option", { value: v, text: v }))]));
    }
  };
  nodeType.addEventListener("change", refreshStart);
  refreshStart();
  node.append(
    el("fieldset", {}, [el("legend", { text: "Nodes" }), el("div", { class: "line" }, [el("label", { text: "Show " }), nodeType]), startLine,
      el("div", { class: "line" }, [el("label", { text: "Only these nodes (comma separated, up to 10; the rest show as \"other\") " }),
        el("input", { name: "nodes", placeholder: "all nodes", size: 40 })])]),
    el("fieldset", {}, [el("legend", { text: "A path is" }), el("div", { class: "line" }, [
      el("select", { name: "sessionType" }, [el("option", { value: "SESSION", text: "one session" }),
        el("option", { value: "CUSTOMIZE", text: "events until a pause longer than (minutes):" })]),
      el("input", { type: "number", name: "lagMinutes", value: "30", min: "1", style: "width:6em" }),
      el("label", { text: "Steps shown " }), el("input", { type: "number", name: "levels", value: "4", min: "2", max: "10", style: "width:5em" }),
      el("label", {}, [el("input", { type: "checkbox", name: "merge", checked: true }), " merge repeated consecutive nodes"]),
    ])]),
    conditionLine(),
    dateInputs(),
  );
  showWhen(node.sessionType, node.lagMinutes, "CUSTOMIZE");
}

function request(node) {
  const start = node.start.value;
  return {
    ...common(node),
    eventAndConditions: start ? [{ eventName: start }] : [],
    pathAnalysis: {
      nodeType: node.nodeType.value, sessionType: node.sessionType.value, levels: Number(node.levels.value || 4),
      lagSeconds: Math.max(1, Math.round(Number(node.lagMinutes.value || 30) * 60)),
      mergeConsecutiveEvents: node.merge.checked, includingOtherEvents: true,
      nodes: node.nodes.value.split(",").map((n) => n.trim()).filter(Boolean).slice(0, 10),
    },
  };
}

// a node per step and name ("2. Home"), so a page seen at two steps is two nodes and the diagram has no cycle
function chart(rows) {
  const names = new Set();
  const links = rows.map((r) => {
    const source = `${r.source_step}. ${r.source}`;
    const target = `${r.source_step + 1}. ${r.target}`;
    names.add(source); names.add(target);
    return { source, target, value: r.count };
  });
  return {
    tooltip: { trigger: "item" },
    series: [{ type: "sankey", data: [...names].map((name) => ({ name })), links, emphasis: { focus: "adjacency" },
      nodeAlign: "left", lineStyle: { color: "gradient", curveness: 0.5 } }],
  };
}

export default analysisPage({
  kind: "path",
  title: "Path analysis",
  help: "Where users go after a starting event or page, step by step, within a session or until a pause.",
  form, request, chart,
});

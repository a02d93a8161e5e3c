// The dashboards page: the dashboards the pipeline rendered, and QuickSight's once published, opened in a frame.

import { api, authorization } from "./api.js";
import { catalog } from "./catalog.js";
import { $, el } from "./dom.js";

const PROJECT = "default";

async function show() {
  const dashboards = await api("GET", `/api/project/${PROJECT}/${encodeURIComponent(catalog.app)}/dashboard`);
  $("dashboard-frame").hidden = true;
  $("dashboard-list").replaceChildren(dashboards.length
    ? el("table", {}, [el("tr", {}, ["Dashboard", "Kind", "Updated", ""].map((t) => el("th", { text: t }))),
      ...dashboards.map((d) => el("tr", {}, [el("td", { text: d.title }), el("td", { text: d.kind }),
        el("td", { text: d.renderedAt || "" }),
        el("td", {}, el("button", { type: "button", class: "open", text: "Open", onclick: () => open(d) }))]))])
    : el("p", { class: "muted", text: "No dashboards yet: the pipeline renders them, or publish them to QuickSight." }));
}

async function open(dashboard) {
  const opened = await api("GET", `/api/project/${PROJECT}/${encodeURIComponent(catalog.app)}/dashboard/${encodeURIComponent(dashboard.id)}`);
  const frame = $("dashboard-frame");
  if (dashboard.kind === "rendered") {
    // the page's scripts run in a sandbox with an opaque origin: they cannot read the Studio's token or cookie
    const html = await (await fetch(opened.url, { headers: authorization(), credentials: "same-origin" })).text();
    frame.setAttribute("sandbox", "allow-scripts");
    frame.removeAttribute("src");
    frame.srcdoc = html;
  } else {
    // QuickSight's own origin keeps it apart from the Studio; its embedding needs its storage, so no sandbox
    frame.removeAttribute("sandbox");
    frame.removeAttribute("srcdoc");
    frame.src = opened.url;
  }
  frame.hidden = false;
}

export default { section: "page-dashboards", show };

// Analytics Studio: forms that build the explore requests, ECharts charts, tables and CSV export.
// Native ES modules, no build step and nothing from a CDN (ECharts is served by the Studio). This module
// opens the Studio after sign-in and routes the address's #page to the page module that owns it.

import { api } from "./api.js";
import { catalog, loadCatalog } from "./catalog.js";
import { resizeChart } from "./charts.js";
import { $, el } from "./dom.js";
import { setUpExplore } from "./explore.js";
import apps from "./page-apps.js";
import attribution from "./page-attribution.js";
import dashboards from "./page-dashboards.js";
import event from "./page-event.js";
import funnel from "./page-funnel.js";
import metadata from "./page-metadata.js";
import path from "./page-path.js";
import pipeline from "./page-pipeline.js";
import retention from "./page-retention.js";
import users from "./page-users.js";
import { ANALYSTS, can, session } from "./session.js";
import { setUpSignIn, showLogin, signedIn } from "./signin.js";

// Each page names the section of index.html it fills and shows itself there.
const PAGES = { event, funnel, path, retention, attribution, metadata, dashboards, pipeline, apps, users };
const SECTIONS = ["page-explore", "page-metadata", "page-dashboards", "page-pipeline", "page-apps", "page-users"];
// Pages only analysts' roles may open: an Operator sees the pipeline and the apps.
const ANALYSIS_PAGES = new Set(["event", "funnel", "path", "retention", "attribution", "metadata", "dashboards"]);

function route() {
  const wanted = (location.hash || "").slice(1);
  const allowed = (name) => Object.hasOwn(PAGES, name) && (can(ANALYSTS) || !ANALYSIS_PAGES.has(name))
    && (name !== "users" || can(["Admin"]));
  const name = allowed(wanted) ? wanted : can(ANALYSTS) ? "event" : "pipeline";
  const page = Object.hasOwn(PAGES, name) ? PAGES[name] : null;
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.page === name));
  for (const id of SECTIONS) $(id).hidden = !page || page.section !== id;
  if (page) page.show();
}

async function start() {
  const [user, apps, info] = await Promise.all([
    api("GET", "/api/user/details"), api("GET", "/api/app"), api("GET", "/api/system/info"),
  ]);
  $("login").hidden = true;
  $("shell").hidden = false;
  $("user").textContent = `${user.name} (${user.roles.join(", ") || "no role"})`;
  session.user = user;
  session.project = info.projectId;
  for (const link of document.querySelectorAll("nav a")) {
    const page = link.dataset.page;
    link.hidden = (ANALYSIS_PAGES.has(page) && !can(ANALYSTS)) || (page === "users" && !can(["Admin"]));
  }
  showApps(apps);
  catalog.newest = info.newestEvent ? info.newestEvent.slice(0, 10) : null;
  $("data-as-of").textContent = info.newestEvent ? `Data up to ${info.newestEvent.slice(0, 16)} UTC` : "No data published yet";
  if (can(ANALYSTS) && catalog.app) await loadCatalog();
  route();
}

// The header's app list; the app chosen stays chosen while it exists.
function showApps(apps) {
  const ids = apps.map((a) => a.appId);
  $("app").replaceChildren(...ids.map((id) => el("option", { value: id, text: id })));
  catalog.app = ids.includes(catalog.app) ? catalog.app : ids[0];
  if (catalog.app) $("app").value = catalog.app;
}

async function boot() {
  setUpSignIn(start);
  setUpExplore();
  for (const page of Object.values(PAGES)) if (page.setUp) page.setUp();
  $("app").addEventListener("change", async () => {
    catalog.app = $("app").value;
    if (can(ANALYSTS)) await loadCatalog();
    route();
  });
  window.addEventListener("hashchange", route);
  document.addEventListener("apps-changed", async () => { showApps(await api("GET", "/api/app")); });
  window.addEventListener("resize", () => resizeChart($("chart")));
  if (!(await signedIn())) return showLogin();
  await start();
}

boot().catch((error) => { document.body.prepend(el("p", { class: "error", text: `The Studio could not start: ${error.message}` })); });

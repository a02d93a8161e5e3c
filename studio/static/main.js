// Analytics Studio: forms that build the explore requests, ECharts charts, tables and CSV export.
// Native ES modules, no build step and nothing from a CDN (ECharts is served by the Studio). This module
// opens the Studio after sign-in and routes the address's #page to the page module that owns it.

import { api } from "./api.js";
import { catalog, loadCatalog } from "./catalog.js";
import { resizeChart } from "./charts.js";
import { $, el } from "./dom.js";
import { setUpExplore } from "./explore.js";
import attribution from "./page-attribution.js";
import dashboards from "./page-dashboards.js";
import event from "./page-event.js";
import funnel from "./page-funnel.js";
import metadata from "./page-metadata.js";
import path from "./page-path.js";
import retention from "./page-retention.js";
import { setUpSignIn, showLogin, signedIn } from "./signin.js";

// Each page names the section of index.html it fills and shows itself there.
const PAGES = { event, funnel, path, retention, attribution, metadata, dashboards };
const SECTIONS = ["page-explore", "page-metadata", "page-dashboards"];

function route() {
  const name = (location.hash || "#event").slice(1);
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
  $("app").replaceChildren(...apps.map((a) => el("option", { value: a.appId, text: a.appId })));
  catalog.app = apps[0] && apps[0].appId;
  catalog.newest = info.newestEvent ? info.newestEvent.slice(0, 10) : null;
  $("data-as-of").textContent = info.newestEvent ? `Data up to ${info.newestEvent.slice(0, 16)} UTC` : "No data published yet";
  await loadCatalog();
  route();
}

async function boot() {
  setUpSignIn(start);
  setUpExplore();
  for (const page of Object.values(PAGES)) if (page.setUp) page.setUp();
  $("app").addEventListener("change", async () => { catalog.app = $("app").value; await loadCatalog(); route(); });
  window.addEventListener("hashchange", route);
  window.addEventListener("resize", () => resizeChart($("chart")));
  if (!(await signedIn())) return showLogin();
  await start();
}

boot().catch((error) => { document.body.prepend(el("p", { class: "error", text: `The Studio could not start: ${error.message}` })); });

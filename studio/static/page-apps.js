// The apps page: the apps that may send events, created, changed and deleted without a restart.
// Everyone may read the list; Admins and Operators get the forms (the server enforces the same rule).

import { api } from "./api.js";
import { $, el, reportingTo } from "./dom.js";
import { MANAGERS, can, session } from "./session.js";

const ZONES = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : ["UTC"];
// The header's app list follows the changes made here (main.js listens).
const changed = () => document.dispatchEvent(new CustomEvent("apps-changed"));

function setUp() {
  $("app-create").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    await attempt(async () => {
      await api("POST", "/api/app", { projectId: session.project, appId: form.appId.value.trim(),
        name: form.name.value.trim(), description: form.description.value.trim(), timezone: form.timezone.value,
        corsOrigins: origins(form.origins.value) });
      form.reset();
      form.timezone.value = "UTC";
      changed();
      await show();
    });
  });
  $("app-timezones").replaceChildren(...ZONES.map((zone) => el("option", { value: zone })));
  $("app-create").origins.placeholder = "https://shop.example.com";  // an example, set here: index.html names no URL
}

const attempt = (action) => reportingTo("apps-error", action);

function origins(text) {
  return text.split(/[\s,]+/).map((origin) => origin.trim()).filter(Boolean);
}

async function show() {
  $("app-create").hidden = !can(MANAGERS);
  const apps = await api("GET", "/api/app");
  const header = el("tr", {}, ["App id", "Name", "Timezone", "Allowed origins", "Description", "Changed", ""]
    .map((text) => el("th", { text })));
  $("apps-table").replaceChildren(apps.length ? el("table", {}, [header, ...apps.map(appRow)])
    : el("p", { class: "muted", text: "No apps yet: create one below, or list them under apps in clickstream.yml." }));
}

// A row that reads, turns into a small form to edit the app, and asks once more before deleting it.
function appRow(app) {
  const row = el("tr", { "data-app": app.appId });
  const changedBy = `${(app.updateAt || "").slice(0, 16).replace("T", " ")} by ${app.operator}`;
  const read = () => row.replaceChildren(
    el("td", { text: app.appId }), el("td", { text: app.name }), el("td", { text: app.timezone }),
    el("td", { text: app.corsOrigins.join(", ") }), el("td", { text: app.description }),
    el("td", { class: "muted", text: changedBy }),
    el("td", {}, can(MANAGERS) ? [
      el("button", { type: "button", class: "edit", text: "Edit", onclick: edit }),
      el("button", { type: "button", class: "remove", text: "Delete", onclick: confirmDelete }),
    ] : []),
  );
  function edit() {
    const name = el("input", { name: "name", value: app.name });
    const zone = el("input", { name: "timezone", value: app.timezone, list: "app-timezones" });
    const allowed = el("input", { name: "origins", value: app.corsOrigins.join(", "), size: 30 });
    const description = el("input", { name: "description", value: app.description, size: 30 });
    const save = el("button", { type: "button", class: "primary save", text: "Save", onclick: () => attempt(async () => {
      Object.assign(app, await api("PUT", `/api/app/${encodeURIComponent(app.appId)}`, {
        name: name.value, timezone: zone.value, description: description.value,
        corsOrigins: origins(allowed.value) }));
      read();
    }) });
    row.replaceChildren(el("td", { text: app.appId }), el("td", {}, name), el("td", {}, zone), el("td", {}, allowed),
      el("td", {}, description), el("td"),
      el("td", {}, [save, el("button", { type: "button", text: "Cancel", onclick: read })]));
  }
  function confirmDelete() {
    const cell = row.lastElementChild;
    cell.replaceChildren(el("span", { class: "error", text: "New events will be refused; its data stays. " }),
      el("button", { type: "button", class: "remove confirm", text: "Delete app", onclick: () => attempt(async () => {
        await api("DELETE", `/api/app/${encodeURIComponent(app.appId)}`);
        changed();
        await show();
      }) }),
      el("button", { type: "button", text: "Keep", onclick: read }));
  }
  read();
  return row;
}

export default { section: "page-apps", show, setUp };

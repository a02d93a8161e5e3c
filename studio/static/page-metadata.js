// The metadata catalog page: what the apps send, searched and given display names and descriptions.

import { api } from "./api.js";
import { catalog, loadCatalog } from "./catalog.js";
import { $, el } from "./dom.js";

// the entries of the three kinds, loaded each time the page opens, and the tab on show (kept between visits)
const state = { kind: "events", entries: null };

function setUp() {
  $("metadata-search").addEventListener("input", render);
  document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => {
    state.kind = tab.dataset.kind; render();
  }));
}

async function show() {
  const app = encodeURIComponent(catalog.app);
  state.entries = {
    events: await api("GET", `/api/metadata/events?appId=${app}`),
    event_parameters: await api("GET", `/api/metadata/event_parameters?appId=${app}`),
    user_attributes: await api("GET", `/api/metadata/user_attributes?appId=${app}`),
  };
  render();
}

function summary(entry) {
  const found = entry.summary || {};
  if (found.latestCount !== undefined) return `${found.latestCount} on the latest day`;
  const values = (found.valueEnum || []).slice(0, 5).map((v) => `${v.value} (${v.count})`);
  return values.join(", ");
}

function render() {
  if (!state.entries) return;
  document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t.dataset.kind === state.kind));
  const query = $("metadata-search").value.trim().toLowerCase();
  const entries = state.entries[state.kind].filter((e) => !query || [e.name,
    ...Object.values(e.displayName || {}), ...Object.values(e.description || {})].join(" ").toLowerCase().includes(query));
  const header = el("tr", {}, ["Name", "Display name", "Description", "Category", "Data", ""].map((t) => el("th", { text: t })));
  $("metadata-table").replaceChildren(entries.length ? el("table", {}, [header, ...entries.map(entryRow)])
    : el("p", { class: "muted", text: "Nothing matches." }));
}

// A row that reads, and turns into a small form to name and describe the entry.
function entryRow(entry) {
  const row = el("tr", { "data-id": entry.id });
  const show = () => row.replaceChildren(
    el("td", { text: entry.name }), el("td", { text: (entry.displayName || {})["en-US"] || "" }),
    el("td", { text: (entry.description || {})["en-US"] || "" }), el("td", { text: entry.category || "" }),
    el("td", { text: summary(entry) }),
    el("td", {}, el("button", { type: "button", class: "edit", text: "Edit", onclick: edit })),
  );
  function edit() {
    const name = el("input", { name: "displayName", value: (entry.displayName || {})["en-US"] || "" });
    const description = el("input", { name: "description", value: (entry.description || {})["en-US"] || "", size: 40 });
    const save = el("button", { type: "button", class: "primary save", text: "Save", onclick: async () => {
      try {
        await api("PUT", "/api/metadata/display", { appId: catalog.app, id: entry.id,
          displayName: { "en-US": name.value }, description: { "en-US": description.value } });
        entry.displayName = { "en-US": name.value };
        entry.description = { "en-US": description.value };
        show();
        await loadCatalog();  // the analysis forms show the new name too
      } catch (error) {
        row.querySelector(".row-error").textContent = error.message;
      }
    } });
    row.replaceChildren(el("td", { text: entry.name }), el("td", {}, name), el("td", {}, description),
      el("td", { text: entry.category || "" }), el("td", { class: "error row-error" }),
      el("td", {}, [save, el("button", { type: "button", text: "Cancel", onclick: show })]));
  }
  show();
  return row;
}

export default { section: "page-metadata", setUp, show };

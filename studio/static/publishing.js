// Where analyses are published: the app's saved dashboards and their sheets, for the explore pages' "Add to
// dashboard" and for the dashboards page.

import { api } from "./api.js";
import { catalog } from "./catalog.js";
import { can, session } from "./session.js";

export const WRITERS = ["Admin", "Analyst"];

export function dashboardsPath() {
  return `/api/project/${encodeURIComponent(session.project)}/${encodeURIComponent(catalog.app)}/dashboard`;
}

// Each sheet of each saved dashboard as a choice; none for a user who may not publish.
export async function publishTargets() {
  if (!can(WRITERS)) return [];
  const dashboards = (await api("GET", dashboardsPath())).filter((d) => d.kind === "saved");
  return dashboards.flatMap((d) => d.sheets.map((s) => ({ value: `${d.id}|${s.id}`,
    text: d.sheets.length > 1 ? `${d.name} · ${s.name}` : d.name })));
}

// The app being explored and what the metadata catalog knows about it: its events (most frequent first), event
// parameters, path nodes and user attributes. Every analysis form reads them; choosing another app reloads them.

import { api } from "./api.js";
import { displayName, label } from "./format.js";

export const catalog = { app: null, newest: null, events: [], parameters: [], pathNodes: {}, userAttributes: [] };

export async function loadCatalog() {
  const app = encodeURIComponent(catalog.app);
  let events;
  [events, catalog.parameters, catalog.pathNodes, catalog.userAttributes] = await Promise.all([
    api("GET", `/api/metadata/events?appId=${app}`),
    api("GET", `/api/metadata/event_parameters?appId=${app}`),
    api("GET", `/api/metadata/pathNodes?appId=${app}`),
    api("GET", `/api/metadata/user_attributes?appId=${app}`),
  ]);
  catalog.events = byFrequency(events);
}

// An event's name as the tables show it: with the display name the team gave it, if any.
export function eventLabel(name) {
  return label(displayName(catalog.events.find((e) => e.name === name)), name);
}

// --- defaults: what a first open shows -------------------------------------------------------------------------

// The catalog counts each event per day: the most frequent come first in every event list.
function eventCount(event) {
  const days = Object.values(event.days || {});
  if (!days.length) return Number((event.summary || {}).latestCount || 0);
  return days.reduce((sum, n) => sum + Number(n || 0), 0);
}

export function byFrequency(events) {
  return events.map((e) => ({ ...e, count: eventCount(e) }))
    .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// SDK housekeeping events: frequent, but no analyst starts a question with them.
const HOUSEKEEPING = new Set(["_app_start", "_app_end", "_user_engagement", "_profile_set", "_scroll", "_app_exception",
  "_app_update", "_os_update", "_clickstream_error", "_first_open", "_session_start"]);
const SHOP_STEPS = ["view_item", "add_to_cart", "begin_checkout", "purchase"];

function has(name) { return catalog.events.some((e) => e.name === name); }

// The most frequent events an analyst would ask about, most frequent first.
function topEvents(except = []) {
  const chosen = catalog.events.filter((e) => !HOUSEKEEPING.has(e.name) && !except.includes(e.name)).map((e) => e.name);
  return chosen.length ? chosen : catalog.events.map((e) => e.name).filter((n) => !except.includes(n));
}

export function defaults() {
  const top = topEvents();
  const shop = SHOP_STEPS.filter(has);
  const start = has("_session_start") ? "_session_start" : top[0];
  // an app's own steps: the shop's path when it has one, else a session's start and its most frequent event
  const funnel = shop.length >= 2 ? shop : [start, ...topEvents([start]).slice(0, 2)].filter(Boolean);
  const goal = has("purchase") ? "purchase" : shop.length ? shop[shop.length - 1] : top[top.length - 1];
  return {
    event: top[0] || "",
    funnel,
    pathStart: start || "",
    retention: [has("_first_open") ? "_first_open" : start, start],
    goal,
    touchpoints: topEvents([goal]).slice(0, 2),
  };
}

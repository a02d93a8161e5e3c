// Analytics Studio: forms that build the explore requests, ECharts charts, tables and CSV export.
// Plain browser JavaScript, no build step and nothing from a CDN (ECharts is served by the Studio).
"use strict";

const state = {
  mode: "local", oidc: null, loginMessage: null, token: sessionStorage.getItem("studio-token"), app: null, events: [], parameters: [],
  pathNodes: {}, userAttributes: [], result: null, kind: null, metadataKind: "events", chart: null, newest: null,
};
const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function requestId() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-Click-Stream-Request-Id"] = requestId();
  if (state.token) headers.Authorization = "Bearer " + state.token;
  const response = await fetch(path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    if (response.status === 401) showLogin("Your session ended: sign in again.");
    throw new ApiError(response.status, describeError(data));
  }
  return data;
}

function describeError(data) {
  if (typeof data.error === "string") return data.error;
  if (Array.isArray(data.detail)) {
    return data.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("\n");
  }
  return "The request failed.";
}

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of [].concat(children)) if (child) node.append(child);
  return node;
}

// --- sign-in ------------------------------------------------------------------------------------------------

function showLogin(message) {
  const redirect = state.mode === "oidc" && state.oidc && state.oidc.authorizationEndpoint;
  $("shell").hidden = true;
  $("login").hidden = false;
  $("password-field").hidden = state.mode !== "local";
  $("token-field").hidden = state.mode === "local" || Boolean(redirect);
  $("login-button").textContent = redirect ? "Sign in with your identity provider" : "Sign in";
  $("login-help").textContent = state.mode === "local"
    ? "Sign in with the password `clickstream studio` printed (or studio.local_password)."
    : redirect ? "You will be sent to your organisation's sign-in page and back here."
      : "Paste a token from your identity provider (its sign-in page could not be reached).";
  $("login-error").textContent = message || state.loginMessage || "";
  state.loginMessage = null;
}

async function login(event) {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    if (state.mode === "local") {
      await api("POST", "/auth/login", { password: $("password").value });
    } else if (state.oidc && state.oidc.authorizationEndpoint) {
      return await startRedirect();
    } else {
      state.token = $("token").value.trim();
      sessionStorage.setItem("studio-token", state.token);
    }
    await start();
  } catch (error) {
    $("login-error").textContent = error.status === 401 ? "Wrong password or token." : error.message;
  }
}

// OpenID Connect authorization code flow with PKCE: the browser goes to the issuer and comes back with a
// code, which the page exchanges (with the verifier only it knows) for tokens; the ID token is the bearer.
function base64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function redirectUri() { return location.origin + location.pathname; }

async function startRedirect() {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem("studio-oidc-verifier", verifier);
  sessionStorage.setItem("studio-oidc-state", nonce);
  sessionStorage.setItem("studio-oidc-page", location.hash);
  const url = new URL(state.oidc.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: "code", client_id: state.oidc.clientId, redirect_uri: redirectUri(), scope: state.oidc.scope,
    state: nonce, code_challenge: base64url(new Uint8Array(digest)), code_challenge_method: "S256",
  }).toString();
  location.assign(url.toString());
}

async function finishRedirect(params) {
  const expected = sessionStorage.getItem("studio-oidc-state");
  const verifier = sessionStorage.getItem("studio-oidc-verifier");
  const page = sessionStorage.getItem("studio-oidc-page") || "";
  ["studio-oidc-state", "studio-oidc-verifier", "studio-oidc-page"].forEach((key) => sessionStorage.removeItem(key));
  history.replaceState(null, "", location.pathname + page);
  if (params.get("error")) {
    state.loginMessage = `The identity provider refused the sign-in: ${params.get("error_description") || params.get("error")}`;
    return;
  }
  if (!expected || params.get("state") !== expected || !verifier) {
    state.loginMessage = "That sign-in could not be matched to this page: sign in again.";
    return;
  }
  const response = await fetch(state.oidc.tokenEndpoint, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code: params.get("code"), redirect_uri: redirectUri(),
      client_id: state.oidc.clientId, code_verifier: verifier }).toString(),
  });
  const tokens = await response.json().catch(() => ({}));
  if (!response.ok || !(tokens.id_token || tokens.access_token)) {
    state.loginMessage = `The identity provider did not give a token: ${tokens.error_description || tokens.error || response.status}`;
    return;
  }
  state.token = tokens.id_token || tokens.access_token;
  sessionStorage.setItem("studio-token", state.token);
}

async function logout() {
  sessionStorage.removeItem("studio-token");
  state.token = null;
  if (state.mode === "local") await api("POST", "/auth/logout", {});
  showLogin("Signed out.");
}

async function boot() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("app").addEventListener("change", async () => { state.app = $("app").value; await loadCatalog(); route(); });
  $("export-csv").addEventListener("click", exportCsv);
  $("metadata-search").addEventListener("input", () => renderMetadata());
  document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => {
    state.metadataKind = tab.dataset.kind; renderMetadata();
  }));
  window.addEventListener("hashchange", route);
  window.addEventListener("resize", () => state.chart && state.chart.resize());
  const session = await (await fetch("/auth/session", { credentials: "same-origin" })).json();
  state.mode = session.mode;
  if (state.mode === "oidc") {
    state.oidc = await (await fetch("/auth/config", { credentials: "same-origin" })).json();
    const params = new URLSearchParams(location.search);
    if (params.get("code") || params.get("error")) await finishRedirect(params);
  }
  if ((state.mode === "local" && !session.signedIn) || (state.mode !== "local" && !state.token)) return showLogin();
  await start();
}

async function start() {
  const [user, apps, info] = await Promise.all([
    api("GET", "/api/user/details"), api("GET", "/api/app"), api("GET", "/api/system/info"),
  ]);
  $("login").hidden = true;
  $("shell").hidden = false;
  $("user").textContent = `${user.name} (${user.roles.join(", ") || "no role"})`;
  $("app").replaceChildren(...apps.map((a) => el("option", { value: a.appId, text: a.appId })));
  state.app = apps[0] && apps[0].appId;
  state.newest = info.newestEvent ? info.newestEvent.slice(0, 10) : null;
  $("data-as-of").textContent = info.newestEvent ? `Data up to ${info.newestEvent.slice(0, 16)} UTC` : "No data published yet";
  await loadCatalog();
  route();
}

async function loadCatalog() {
  const app = encodeURIComponent(state.app);
  let events;
  [events, state.parameters, state.pathNodes, state.userAttributes] = await Promise.all([
    api("GET", `/api/metadata/events?appId=${app}`),
    api("GET", `/api/metadata/event_parameters?appId=${app}`),
    api("GET", `/api/metadata/pathNodes?appId=${app}`),
    api("GET", `/api/metadata/user_attributes?appId=${app}`),
  ]);
  state.events = byFrequency(events);
}

// --- defaults: what a first open shows -------------------------------------------------------------------------

// The catalog counts each event per day: the most frequent come first in every event list.
function eventCount(event) {
  const days = Object.values(event.days || {});
  if (!days.length) return Number((event.summary || {}).latestCount || 0);
  return days.reduce((sum, n) => sum + Number(n || 0), 0);
}

function byFrequency(events) {
  return events.map((e) => ({ ...e, count: eventCount(e) }))
    .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// SDK housekeeping events: frequent, but no analyst starts a question with them.
const HOUSEKEEPING = new Set(["_app_start", "_app_end", "_user_engagement", "_profile_set", "_scroll", "_app_exception",
  "_app_update", "_os_update", "_clickstream_error", "_first_open", "_session_start"]);
const SHOP_STEPS = ["view_item", "add_to_cart", "begin_checkout", "purchase"];

function has(name) { return state.events.some((e) => e.name === name); }

// The most frequent events an analyst would ask about, most frequent first.
function topEvents(except = []) {
  const chosen = state.events.filter((e) => !HOUSEKEEPING.has(e.name) && !except.includes(e.name)).map((e) => e.name);
  return chosen.length ? chosen : state.events.map((e) => e.name).filter((n) => !except.includes(n));
}

function defaults() {
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

// --- navigation ---------------------------------------------------------------------------------------------

const PAGES = {
  event: { title: "Event analysis", help: "How often events happen, or how many users do them, per day, week or month. Add several metrics to compare them; group by a property to split each line.", build: eventForm, request: eventRequest },
  funnel: { title: "Funnel analysis", help: "How many users go through the steps in order, each step within the conversion window counted from the first step. Counting events, a step counts the events that are some start's earliest next step, so no step exceeds the one before (the original's count could).", build: funnelForm, request: funnelRequest },
  path: { title: "Path analysis", help: "Where users go after a starting event or page, step by step, within a session or until a pause.", build: pathForm, request: pathRequest },
  retention: { title: "Retention analysis", help: "Of the users who first did the start event in a period, how many did the return event in that same period (+0, as the original) and in each later one.", build: retentionForm, request: retentionRequest },
  attribution: { title: "Attribution analysis", help: "Which touchpoints lead to the goal: each goal event's credit is shared among the touchpoint events before it, by the model you choose.", build: attributionForm, request: attributionRequest },
};

function route() {
  const page = (location.hash || "#event").slice(1);
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.page === page));
  $("page-explore").hidden = !PAGES[page];
  $("page-metadata").hidden = page !== "metadata";
  $("page-dashboards").hidden = page !== "dashboards";
  if (PAGES[page]) showExplore(page);
  else if (page === "metadata") loadMetadata();
  else if (page === "dashboards") loadDashboards();
}

// --- form parts ---------------------------------------------------------------------------------------------

function label(name, value) { return name && name !== value ? `${name} (${value})` : value; }

function eventSelect(name, value) {
  const options = state.events.map((e) => el("option", {
    value: e.name, text: label(e.displayName && e.displayName["en-US"], e.name), selected: e.name === value,
  }));
  return el("select", { name, "data-role": "event" }, options);
}

const CORE_PROPERTIES = [
  ["event_outer", "platform"], ["event", "event_value"], ["geo", "geo_country"],
  ["app_info", "app_version"], ["device", "device_ua_browser"],
];

function propertyOptions(withUsers = false) {
  const seen = new Set();
  const options = [];
  for (const p of state.parameters) {
    const key = `${p.category}|${p.name}`;
    if (seen.has(p.name)) continue;
    seen.add(p.name);
    options.push([key, label(p.displayName && p.displayName["en-US"], p.name)]);
  }
  for (const [category, name] of CORE_PROPERTIES) if (!seen.has(name)) options.push([`${category}|${name}`, name]);
  if (withUsers) {
    for (const a of state.userAttributes || []) {
      if (a.name.startsWith("_")) continue;  // the SDK's reserved attributes are columns under other names
      options.push([`user|${a.name}`, `user · ${label(a.displayName && a.displayName["en-US"], a.name)}`]);
    }
  }
  return options;
}

function propertySelect(name, empty, value, withUsers = false) {
  const options = propertyOptions(withUsers).map(([key, text]) => el("option", { value: key, text, selected: key === value }));
  if (empty) options.unshift(el("option", { value: "", text: empty }));
  return el("select", { name }, options);
}

function splitProperty(value) {
  const [category, property] = value.split("|");
  return { category, property };
}

function dateInputs() {
  const end = state.newest || new Date().toISOString().slice(0, 10);
  const start = new Date(Date.parse(end) - 29 * 86400000).toISOString().slice(0, 10);
  return el("fieldset", {}, [el("legend", { text: "Time range" }), el("div", { class: "line" }, [
    el("label", { text: "From " }), el("input", { type: "date", name: "timeStart", value: start }),
    el("label", { text: "to " }), el("input", { type: "date", name: "timeEnd", value: end }),
  ])]);
}

function bucketSelect(name = "groupColumn", text = "Per") {
  return el("label", { text: `${text} ` }, el("select", { name }, [
    el("option", { value: "DAY", text: "day" }), el("option", { value: "WEEK", text: "week" }),
    el("option", { value: "MONTH", text: "month" }),
  ]));
}

function list(legend, kind, makeRow, min, max, initial) {
  const rows = el("div", { "data-list": kind });
  const add = el("button", { type: "button", text: `+ Add ${kind}`, onclick: () => {
    if (rows.children.length < max) rows.append(wrapRow(makeRow(null)));
  } });
  function wrapRow(parts) {
    const remove = el("button", { type: "button", class: "remove", text: "Remove", onclick: () => {
      if (rows.children.length > min) row.remove();
    } });
    const row = el("div", { class: "line", "data-item": kind }, [...parts, remove]);
    return row;
  }
  for (const value of initial) rows.append(wrapRow(makeRow(value)));
  return el("fieldset", {}, [el("legend", { text: legend }), rows, add]);
}

function conditionLine() {
  const operators = [["=", "is"], ["<>", "is not"], ["in", "is one of (comma separated)"], ["contains", "contains"],
    [">", ">"], [">=", "≥"], ["<", "<"], ["<=", "≤"], ["is_not_null", "is set"], ["is_null", "is not set"]];
  return el("fieldset", {}, [el("legend", { text: "Only events where (optional)" }), el("div", { class: "line" }, [
    propertySelect("filterProperty", "(no filter)", null, true),
    el("select", { name: "filterOperator" }, operators.map(([v, t]) => el("option", { value: v, text: t }))),
    el("input", { name: "filterValue", placeholder: "value" }),
  ])]);
}

function showWhen(select, input, value) {
  const toggle = () => { input.hidden = select.value !== value; };
  select.addEventListener("change", toggle);
  toggle();
}


// --- the five forms -----------------------------------------------------------------------------------------

const MEASURES = [["USER_ID_CNT", "Users"], ["EVENT_CNT", "Events"], ["sum", "Sum of"], ["avg", "Average of"],
  ["median", "Median of"], ["min", "Minimum of"], ["max", "Maximum of"], ["COUNT_PROPERTY", "Distinct values of"]];

function eventForm(form) {
  form.append(
    list("Metrics", "metric", (value) => {
      const measure = el("select", { name: "measure" }, MEASURES.map(([v, t]) => el("option", { value: v, text: t })));
      const property = propertySelect("property", null, "event|event_value");
      const toggle = () => { property.hidden = ["USER_ID_CNT", "EVENT_CNT"].includes(measure.value); };
      measure.addEventListener("change", toggle);
      toggle();
      return [eventSelect("eventName", value), measure, property];
    }, 1, 10, [defaults().event]),
    conditionLine(),
    el("fieldset", {}, [el("legend", { text: "Breakdown" }), el("div", { class: "line" }, [
      el("label", { text: "Group by " }), propertySelect("groupBy", "(no grouping)"), bucketSelect(),
    ])]),
    dateInputs(),
  );
}

function eventRequest(form) {
  const metrics = [...form.querySelectorAll("[data-item=metric]")].map((row) => {
    const measure = row.querySelector("[name=measure]").value;
    const metric = { eventName: row.querySelector("[name=eventName]").value };
    if (measure === "USER_ID_CNT" || measure === "EVENT_CNT") metric.computeMethod = measure;
    else {
      const target = { ...splitProperty(row.querySelector("[name=property]").value), operator: "is_not_null" };
      metric.computeMethod = measure === "COUNT_PROPERTY" ? "COUNT_PROPERTY" : "AGGREGATION_PROPERTY";
      metric.eventExtParameter = { targetProperty: target, aggregationMethod: measure === "COUNT_PROPERTY" ? null : measure };
    }
    return metric;
  });
  return { ...common(form), eventAndConditions: metrics };
}

function funnelForm(form) {
  form.append(
    list("Steps, in order", "step", (value) => [eventSelect("eventName", value)], 2, 10, defaults().funnel),
    el("fieldset", {}, [el("legend", { text: "Conversion" }), el("div", { class: "line" }, [
      el("label", { text: "Each step within " }),
      el("select", { name: "windowType" }, [
        el("option", { value: "CUSTOMIZE", text: "minutes of the first step:" }),
        el("option", { value: "CURRENT_DAY", text: "the same day as the first step" }),
      ]),
      el("input", { type: "number", name: "windowMinutes", value: "60", min: "1", style: "width:6em" }),
      el("label", { text: "Count " }),
      el("select", { name: "count" }, [el("option", { value: "USER_ID_CNT", text: "users" }),
        el("option", { value: "EVENT_CNT", text: "first-step events" })]),
    ])]),
    conditionLine(),
    el("fieldset", {}, [el("legend", { text: "Breakdown" }), el("div", { class: "line" }, [
      el("label", { text: "Group by (first step's) " }), propertySelect("groupBy", "(no grouping)"),
    ])]),
    dateInputs(),
  );
  showWhen(form.windowType, form.windowMinutes, "CUSTOMIZE");
}

function funnelRequest(form) {
  const steps = [...form.querySelectorAll("[data-item=step] [name=eventName]")].map((s) => ({ eventName: s.value }));
  return {
    ...common(form), eventAndConditions: steps, computeMethod: form.count.value,
    conversionIntervalType: form.windowType.value,
    conversionIntervalInSeconds: Math.max(1, Math.round(Number(form.windowMinutes.value || 60) * 60)),
  };
}

const NODE_TYPES = [["event", "Events"], ["page_view_page_title", "Page titles"], ["page_view_page_url", "Page URLs"],
  ["screen_view_screen_name", "Screen names"], ["screen_view_screen_id", "Screen ids"]];
const NODE_LISTS = { page_view_page_title: "pageTitles", page_view_page_url: "pageUrls",
  screen_view_screen_name: "screenNames", screen_view_screen_id: "screenIds" };

function pathForm(form) {
  const nodeType = el("select", { name: "nodeType" }, NODE_TYPES.map(([v, t]) => el("option", { value: v, text: t })));
  const startLine = el("div", { class: "line" });
  const refreshStart = () => {
    if (nodeType.value === "event") {
      startLine.replaceChildren(el("label", { text: "Start at event " }), eventSelect("start", defaults().pathStart));
    } else {
      const values = (state.pathNodes[NODE_LISTS[nodeType.value]] || []).map((v) => v.value);
      startLine.replaceChildren(el("label", { text: "Start at " }), el("select", { name: "start" },
        [el("option", { value: "", text: "(wherever the path starts)" }), ...values.map((v) => el("option", { value: v, text: v }))]));
    }
  };
  nodeType.addEventListener("change", refreshStart);
  refreshStart();
  form.append(
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
  showWhen(form.sessionType, form.lagMinutes, "CUSTOMIZE");
}

function pathRequest(form) {
  const start = form.start.value;
  return {
    ...common(form),
    eventAndConditions: start ? [{ eventName: start }] : [],
    pathAnalysis: {
      nodeType: form.nodeType.value, sessionType: form.sessionType.value, levels: Number(form.levels.value || 4),
      lagSeconds: Math.max(1, Math.round(Number(form.lagMinutes.value || 30) * 60)),
      mergeConsecutiveEvents: form.merge.checked, includingOtherEvents: true,
      nodes: form.nodes.value.split(",").map((n) => n.trim()).filter(Boolean).slice(0, 10),
    },
  };
}

function retentionForm(form) {
  form.append(
    el("fieldset", {}, [el("legend", { text: "Users who" }), el("div", { class: "line" }, [
      el("label", { text: "first did " }), eventSelect("startEvent", defaults().retention[0]),
      el("label", { text: "and came back to do " }), eventSelect("backEvent", defaults().retention[1]),
    ]), el("div", { class: "line" }, [
      el("label", { text: "with the same value of (optional) " }), propertySelect("joinProperty", "(any value)"),
    ])]),
    el("fieldset", {}, [el("legend", { text: "Periods" }), el("div", { class: "line" }, [
      bucketSelect("groupColumn", "Cohorts per"),
      el("label", { text: "Show periods " }), el("input", { type: "number", name: "periods", value: "8", min: "1", max: "60", style: "width:5em" }),
    ])]),
    conditionLine(),
    dateInputs(),
  );
}

function retentionRequest(form) {
  const join = form.joinProperty.value ? { retentionJoinColumn: splitProperty(form.joinProperty.value) } : {};
  return {
    ...common(form), periods: Number(form.periods.value || 8),
    pairEventAndConditions: [{ startEvent: { eventName: form.startEvent.value, ...join },
      backEvent: { eventName: form.backEvent.value, ...join } }],
  };
}

const MODELS = [["LAST_TOUCH", "Last touch: all credit to the last touchpoint"],
  ["FIRST_TOUCH", "First touch: all credit to the first touchpoint"],
  ["LINEAR", "Linear: equal credit to every touchpoint"],
  ["TIME_DECAY", "Time decay: each touchpoint half the credit of the next"],
  ["POSITION", "Position based: 40% first, 40% last, 20% shared by the middle"]];

function attributionForm(form) {
  form.append(
    el("fieldset", {}, [el("legend", { text: "Goal" }), el("div", { class: "line" }, [
      eventSelect("goal", defaults().goal),
      el("label", { text: "worth " }),
      el("select", { name: "goalValue" }, [el("option", { value: "EVENT_CNT", text: "1 per goal event" }),
        el("option", { value: "SUM_VALUE", text: "its event value" })]),
    ])]),
    list("Touchpoints", "touchpoint", (value) => [eventSelect("eventName", value)], 1, 10, defaults().touchpoints),
    el("fieldset", {}, [el("legend", { text: "Model" }), el("div", { class: "line" }, [
      el("select", { name: "model" }, MODELS.map(([v, t]) => el("option", { value: v, text: t }))),
      el("label", { text: "Touchpoints count within " }),
      el("select", { name: "windowType" }, [el("option", { value: "SESSION", text: "the goal's session" }),
        el("option", { value: "CURRENT_DAY", text: "the goal's day" }),
        el("option", { value: "CUSTOMIZE", text: "minutes before the goal:" })]),
      el("input", { type: "number", name: "windowMinutes", value: "60", min: "1", style: "width:6em" }),
    ])]),
    conditionLine(),
    dateInputs(),
  );
  showWhen(form.windowType, form.windowMinutes, "CUSTOMIZE");
}

function attributionRequest(form) {
  const touches = [...form.querySelectorAll("[data-item=touchpoint] [name=eventName]")].map((s) => ({ eventName: s.value }));
  const goal = { eventName: form.goal.value, computeMethod: form.goalValue.value };
  if (goal.computeMethod === "SUM_VALUE") {
    goal.eventExtParameter = { targetProperty: { category: "event", property: "event_value", operator: "is_not_null" } };
  }
  return {
    ...common(form), targetEventAndCondition: goal, eventAndConditions: touches, modelType: form.model.value,
    timeWindowType: form.windowType.value,
    timeWindowInSeconds: Math.max(1, Math.round(Number(form.windowMinutes.value || 60) * 60)),
  };
}

function common(form) {
  const body = { appId: state.app, timeScopeType: "FIXED", timeStart: form.timeStart.value, timeEnd: form.timeEnd.value };
  if (form.groupColumn) body.groupColumn = form.groupColumn.value;
  if (form.groupBy && form.groupBy.value) body.groupCondition = { applyTo: "FIRST", conditions: [splitProperty(form.groupBy.value)] };
  if (form.filterProperty && form.filterProperty.value) {
    const operator = form.filterOperator.value;
    const raw = form.filterValue.value;
    const value = ["is_null", "is_not_null"].includes(operator) ? [] : operator === "in" ? raw.split(",").map((v) => v.trim()) : [raw];
    const numeric = [">", ">=", "<", "<="].includes(operator);
    body.globalEventCondition = { conditions: [{ ...splitProperty(form.filterProperty.value), operator, value, dataType: numeric ? "double" : "string" }] };
  }
  return body;
}

// --- running an analysis ------------------------------------------------------------------------------------

function showExplore(kind) {
  state.kind = kind;
  const page = PAGES[kind];
  $("explore-title").textContent = page.title;
  $("explore-help").textContent = page.help;
  $("explore-error").textContent = "";
  $("result").hidden = true;
  const form = $("explore-form");
  form.replaceChildren();
  form.onsubmit = (event) => { event.preventDefault(); run(kind); };
  if (!state.events.length) {
    form.append(el("p", { text: "No events yet for this app: run a pipeline cycle (clickstream run), then reload." }));
    return;
  }
  page.build(form);
  form.append(el("button", { type: "submit", class: "primary", id: "run", text: "Run analysis" }));
}

async function run(kind) {
  $("explore-error").textContent = "";
  const button = $("run");
  button.disabled = true;
  button.textContent = "Running…";
  try {
    const result = await api("POST", `/api/reporting/${kind}`, PAGES[kind].request($("explore-form")));
    state.result = result;
    showResult(kind, result);
  } catch (error) {
    $("explore-error").textContent = error.message;
  } finally {
    button.disabled = false;
    button.textContent = "Run analysis";
  }
}

function showResult(kind, result) {
  $("result").hidden = false;
  $("sql").textContent = result.sql;
  $("retention-table").replaceChildren();
  renderTable($("table"), result.columns, result.rows);
  if (state.chart) state.chart.dispose();
  const chartNode = $("chart");
  chartNode.hidden = false;
  if (!result.rows.length) {
    chartNode.replaceChildren(el("p", { class: "muted", text: "No data for this selection: widen the time range or change the events." }));
    state.chart = null;
    return;
  }
  chartNode.replaceChildren();
  state.chart = echarts.init(chartNode);
  // no entry animation: an analyst compares numbers, and a screenshot shows the final chart
  state.chart.setOption({ animation: false, ...CHARTS[kind](result.rows) });
  if (kind === "retention") renderRetentionTable(result.rows);
  $("result").scrollIntoView({ block: "start" });
}

// every step or touchpoint named under its bar: cut to fit (the tooltip and the table have it whole)
const EVERY_NAME = { interval: 0, width: 140, overflow: "truncate" };

const CHARTS = {
  event(rows) {
    const buckets = [...new Set(rows.map((r) => r.bucket))].sort();
    const series = new Map();
    for (const r of rows) {
      const name = r.group_value ? `${r.event_name} · ${r.group_value}` : `${r.metric}. ${r.event_name}`;
      if (!series.has(name)) series.set(name, new Map());
      series.get(name).set(r.bucket, r.value);
    }
    return {
      tooltip: { trigger: "axis" }, legend: { type: "scroll", top: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: buckets }, yAxis: { type: "value" },
      series: [...series].map(([name, values]) => ({ name, type: "line", data: buckets.map((b) => values.get(b) ?? 0) })),
    };
  },
  funnel(rows) {
    const groups = [...new Set(rows.map((r) => r.group_value))];
    const steps = [...new Set(rows.map((r) => `${r.step}. ${r.event_name}`))];
    return {
      tooltip: { trigger: "axis" }, legend: { show: groups.length > 1 }, grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: steps, axisLabel: EVERY_NAME }, yAxis: { type: "value" },
      series: groups.map((g) => ({
        name: g || "All", type: "bar",
        data: rows.filter((r) => r.group_value === g).map((r) => r.count),
        label: { show: true, position: "top", formatter: (p) => {
          const row = rows.filter((r) => r.group_value === g)[p.dataIndex];
          return `${p.value.toLocaleString("en-US")} (${percent(row.conversion_rate)})`;
        } },
      })),
    };
  },
  path(rows) {
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
  },
  retention(rows) {
    const periods = [...new Set(rows.map((r) => r.period))].sort((a, b) => a - b);
    const cohorts = [...new Set(rows.map((r) => r.cohort))].sort();
    return {
      tooltip: { trigger: "axis" }, legend: { type: "scroll", top: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: periods.map((p) => `+${p}`) }, yAxis: { type: "value", max: 1, axisLabel: { formatter: (v) => `${v * 100}%` } },
      series: cohorts.map((c) => ({ name: c, type: "line",
        data: periods.map((p) => (rows.find((r) => r.cohort === c && r.period === p) || { rate: null }).rate) })),
    };
  },
  attribution(rows) {
    return {
      tooltip: { trigger: "axis" }, grid: { left: 50, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: rows.map((r) => `${r.touchpoint}. ${r.event_name}`), axisLabel: EVERY_NAME },
      yAxis: { type: "value" },
      series: [{ name: "Contribution", type: "bar", data: rows.map((r) => r.contribution),
        label: { show: true, position: "top", formatter: (p) => percent(rows[p.dataIndex].contribution_rate) } }],
    };
  },
};

function renderRetentionTable(rows) {
  const periods = [...new Set(rows.map((r) => r.period))].sort((a, b) => a - b);
  const cohorts = [...new Set(rows.map((r) => r.cohort))].sort();
  const header = el("tr", {}, [el("th", { text: "Cohort" }), el("th", { text: "Users" }),
    ...periods.map((p) => el("th", { text: `+${p}` }))]);
  const body = cohorts.map((c) => {
    const size = (rows.find((r) => r.cohort === c) || { cohort_users: 0 }).cohort_users;
    return el("tr", {}, [el("td", { text: c }), el("td", { class: "num", text: String(size) }),
      ...periods.map((p) => {
        const row = rows.find((r) => r.cohort === c && r.period === p);
        if (!row) return el("td", { class: "num muted", title: "not over yet", text: "" });
        return el("td", { class: "num", style: `background: rgba(37, 99, 235, ${row.rate * 0.8})`, title: `${row.users} users`,
          text: percent(row.rate) });
      })]);
  });
  $("retention-table").replaceChildren(el("h3", { text: "Retention table" }), el("table", { id: "retention-grid" }, [header, ...body]));
}

// The result table reads like the chart: display names for columns and events, grouped thousands, and
// rates as the percentages the chart shows. The CSV export keeps the API's names and raw values.
const COLUMN_NAMES = {
  bucket: "Period", metric: "Metric", event_name: "Event", value: "Value", group_value: "Group", step: "Step",
  count: "Count", conversion_rate: "Conversion (of step 1)", step_rate: "Conversion (of previous step)",
  source_step: "Step", source: "From", target: "To", pair: "Pair", start_event: "Start event",
  back_event: "Return event", cohort: "Cohort", period: "Period", users: "Returned users", cohort_users: "Cohort users",
  rate: "Retention", touchpoint: "Touchpoint", total_triggers: "Triggers", triggers_with_conversion: "Triggers before a goal",
  contribution: "Credit", contribution_rate: "Share of credit",
};
const EVENT_COLUMNS = new Set(["event_name", "start_event", "back_event", "source", "target"]);

function columnName(column) {
  return COLUMN_NAMES[column] || column.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

function isRate(column) { return column === "rate" || column.endsWith("_rate"); }

function percent(value) { return `${(value * 100).toFixed(1)}%`; }

function eventName(name) {
  const event = state.events.find((e) => e.name === name);
  const shown = event && event.displayName && event.displayName["en-US"];
  return shown ? label(shown, name) : name;
}

function cellText(column, value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    return isRate(column) ? percent(value) : value.toLocaleString("en-US", { maximumFractionDigits: 2 });
  }
  return EVENT_COLUMNS.has(column) ? eventName(String(value)) : String(value);
}

function renderTable(node, allColumns, rows) {
  // a column with no value in any row (the group of an ungrouped analysis) says nothing: leave it out
  const columns = allColumns.filter((c) => rows.some((row) => row[c] !== null && row[c] !== undefined && row[c] !== ""));
  const header = el("tr", {}, columns.map((c) => el("th", { text: columnName(c), title: c })));
  const body = rows.map((row) => el("tr", {}, columns.map((c) => el("td", {
    class: typeof row[c] === "number" ? "num" : null, text: cellText(c, row[c]),
  }))));
  node.replaceChildren(el("table", {}, [header, ...body]));
}

// A text cell starting with = + - @ tab or CR is a formula to a spreadsheet (CSV injection): a leading '
// makes it text (OWASP's advice). Numbers stay numbers, negative ones included.
function csvCell(value) {
  if (typeof value === "number") return String(value);
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function exportCsv() {
  const { columns, rows } = state.result;
  const lines = [columns.map(csvCell).join(","), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))];
  const link = el("a", { href: URL.createObjectURL(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" })),
    download: `${state.kind}-${state.app}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
}

// --- metadata catalog ---------------------------------------------------------------------------------------

async function loadMetadata() {
  state.metadata = {
    events: await api("GET", `/api/metadata/events?appId=${encodeURIComponent(state.app)}`),
    event_parameters: await api("GET", `/api/metadata/event_parameters?appId=${encodeURIComponent(state.app)}`),
    user_attributes: await api("GET", `/api/metadata/user_attributes?appId=${encodeURIComponent(state.app)}`),
  };
  renderMetadata();
}

function metadataSummary(entry) {
  const summary = entry.summary || {};
  if (summary.latestCount !== undefined) return `${summary.latestCount} on the latest day`;
  const values = (summary.valueEnum || []).slice(0, 5).map((v) => `${v.value} (${v.count})`);
  return values.join(", ");
}

function renderMetadata() {
  if (!state.metadata) return;
  document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t.dataset.kind === state.metadataKind));
  const query = $("metadata-search").value.trim().toLowerCase();
  const entries = state.metadata[state.metadataKind].filter((e) => !query || [e.name,
    ...Object.values(e.displayName || {}), ...Object.values(e.description || {})].join(" ").toLowerCase().includes(query));
  const header = el("tr", {}, ["Name", "Display name", "Description", "Category", "Data", ""].map((t) => el("th", { text: t })));
  const rows = entries.map((entry) => {
    const row = el("tr", { "data-id": entry.id });
    const show = () => row.replaceChildren(
      el("td", { text: entry.name }), el("td", { text: (entry.displayName || {})["en-US"] || "" }),
      el("td", { text: (entry.description || {})["en-US"] || "" }), el("td", { text: entry.category || "" }),
      el("td", { text: metadataSummary(entry) }),
      el("td", {}, el("button", { type: "button", class: "edit", text: "Edit", onclick: edit })),
    );
    function edit() {
      const name = el("input", { name: "displayName", value: (entry.displayName || {})["en-US"] || "" });
      const description = el("input", { name: "description", value: (entry.description || {})["en-US"] || "", size: 40 });
      const save = el("button", { type: "button", class: "primary save", text: "Save", onclick: async () => {
        try {
          await api("PUT", "/api/metadata/display", { appId: state.app, id: entry.id,
            displayName: { "en-US": name.value }, description: { "en-US": description.value } });
          entry.displayName = { "en-US": name.value };
          entry.description = { "en-US": description.value };
          show();
          await loadCatalog();
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
  });
  $("metadata-table").replaceChildren(entries.length ? el("table", {}, [header, ...rows])
    : el("p", { class: "muted", text: "Nothing matches." }));
}

// --- dashboards ---------------------------------------------------------------------------------------------

async function loadDashboards() {
  const project = "default";
  const dashboards = await api("GET", `/api/project/${project}/${encodeURIComponent(state.app)}/dashboard`);
  $("dashboard-frame").hidden = true;
  $("dashboard-list").replaceChildren(dashboards.length
    ? el("table", {}, [el("tr", {}, ["Dashboard", "Kind", "Updated", ""].map((t) => el("th", { text: t }))),
      ...dashboards.map((d) => el("tr", {}, [el("td", { text: d.title }), el("td", { text: d.kind }),
        el("td", { text: d.renderedAt || "" }),
        el("td", {}, el("button", { type: "button", class: "open", text: "Open", onclick: () => openDashboard(project, d) }))]))])
    : el("p", { class: "muted", text: "No dashboards yet: the pipeline renders them, or publish them to QuickSight." }));
}

async function openDashboard(project, dashboard) {
  const opened = await api("GET", `/api/project/${project}/${encodeURIComponent(state.app)}/dashboard/${encodeURIComponent(dashboard.id)}`);
  const frame = $("dashboard-frame");
  if (dashboard.kind === "rendered") {
    // the page's scripts run in a sandbox with an opaque origin: they cannot read the Studio's token or cookie
    const headers = state.token ? { Authorization: "Bearer " + state.token } : {};
    const html = await (await fetch(opened.url, { headers, credentials: "same-origin" })).text();
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

boot().catch((error) => { document.body.prepend(el("p", { class: "error", text: `The Studio could not start: ${error.message}` })); });

// Talking to the Studio's API: JSON in and out, the bearer token of an OIDC sign-in, readable errors.

const TOKEN_KEY = "studio-token";

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// A local sign-in rides on the session cookie; an OIDC one sends the identity provider's token, kept for the
// tab's life (sessionStorage) so a reload stays signed in.
const credentials = { token: sessionStorage.getItem(TOKEN_KEY) };
let sessionEnded = () => {};

export function token() { return credentials.token; }

export function setToken(value) {
  credentials.token = value || null;
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function authorization() {
  return credentials.token ? { Authorization: "Bearer " + credentials.token } : {};
}

// The sign-in module registers what a 401 does (show the sign-in form): this module never imports it back.
export function onSessionEnded(handler) { sessionEnded = handler; }

function requestId() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json", ...authorization() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-Click-Stream-Request-Id"] = requestId();
  const response = await fetch(path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    if (response.status === 401) sessionEnded("Your session ended: sign in again.");
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

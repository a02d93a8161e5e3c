// Signing in and out: the local password, or OpenID Connect (the issuer's sign-in page, or a pasted token).

import { api, onSessionEnded, setToken, token } from "./api.js";
import { $ } from "./dom.js";

// how this Studio signs people in (from /auth/session and /auth/config), and a message kept for the sign-in form
const state = { mode: "local", oidc: null, message: null };

function redirects() { return Boolean(state.mode === "oidc" && state.oidc && state.oidc.authorizationEndpoint); }

export function showLogin(message) {
  const redirect = redirects();
  $("shell").hidden = true;
  $("login").hidden = false;
  $("password-field").hidden = state.mode !== "local";
  $("token-field").hidden = state.mode === "local" || redirect;
  $("login-button").textContent = redirect ? "Sign in with your identity provider" : "Sign in";
  $("login-help").textContent = state.mode === "local"
    ? "Sign in with the password `clickstream studio` printed (or studio.local_password)."
    : redirect ? "You will be sent to your organisation's sign-in page and back here."
      : "Paste a token from your identity provider (its sign-in page could not be reached).";
  $("login-error").textContent = message || state.message || "";
  state.message = null;
}

// start() opens the Studio once signed in: main.js passes it, so this module never imports the pages.
export function setUpSignIn(start) {
  onSessionEnded(showLogin);
  $("login-form").addEventListener("submit", (event) => login(event, start));
  $("logout").addEventListener("click", logout);
}

// Whether the visitor is signed in already (a session cookie, a kept token, or an issuer's redirect back here).
export async function signedIn() {
  const session = await (await fetch("/auth/session", { credentials: "same-origin" })).json();
  state.mode = session.mode;
  if (state.mode === "oidc") {
    state.oidc = await (await fetch("/auth/config", { credentials: "same-origin" })).json();
    const params = new URLSearchParams(location.search);
    if (params.get("code") || params.get("error")) await finishRedirect(params);
  }
  return state.mode === "local" ? Boolean(session.signedIn) : Boolean(token());
}

async function login(event, start) {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    if (state.mode === "local") {
      await api("POST", "/auth/login", { password: $("password").value });
    } else if (redirects()) {
      return await startRedirect();
    } else {
      setToken($("token").value.trim());
    }
    await start();
  } catch (error) {
    $("login-error").textContent = error.status === 401 ? "Wrong password or token." : error.message;
  }
}

async function logout() {
  setToken(null);
  if (state.mode === "local") await api("POST", "/auth/logout", {});
  showLogin("Signed out.");
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
    state.message = `The identity provider refused the sign-in: ${params.get("error_description") || params.get("error")}`;
    return;
  }
  if (!expected || params.get("state") !== expected || !verifier) {
    state.message = "That sign-in could not be matched to this page: sign in again.";
    return;
  }
  const response = await fetch(state.oidc.tokenEndpoint, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code: params.get("code"), redirect_uri: redirectUri(),
      client_id: state.oidc.clientId, code_verifier: verifier }).toString(),
  });
  const tokens = await response.json().catch(() => ({}));
  if (!response.ok || !(tokens.id_token || tokens.access_token)) {
    state.message = `The identity provider did not give a token: ${tokens.error_description || tokens.error || response.status}`;
    return;
  }
  setToken(tokens.id_token || tokens.access_token);
}

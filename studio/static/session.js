// Who is signed in and which project the Studio serves: pages read it to show only what the roles allow.

export const session = { user: { name: "", roles: [] }, project: null };

export const MANAGERS = ["Admin", "Operator"];
export const ANALYSTS = ["Admin", "Analyst", "AnalystReader"];

// Whether the signed-in user holds one of ``roles`` (the server checks again on every call).
export function can(roles) {
  return session.user.roles.some((role) => roles.includes(role));
}

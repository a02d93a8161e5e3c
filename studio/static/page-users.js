// The users page (Admin): user records that fix a user's roles, and the mapping of token groups to roles
// for everyone without a record. Changes apply on the user's next request.

import { api } from "./api.js";
import { $, el, reportingTo } from "./dom.js";

const ROLES = ["Admin", "Operator", "Analyst", "AnalystReader"];
const MAPPING = [["adminRoleNames", "Admin"], ["operatorRoleNames", "Operator"], ["analystRoleNames", "Analyst"],
  ["analystReaderRoleNames", "AnalystReader"]];

function setUp() {
  $("user-create").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    await attempt(async () => {
      await api("POST", "/api/user", { id: form.userId.value.trim(), name: form.userName.value.trim(),
        roles: ROLES.filter((role) => form.querySelector(`[name=role-${role}]`).checked) });
      form.reset();
      await show();
    });
  });
  $("role-settings").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    await attempt(async () => {
      const body = { roleJsonPath: form.roleJsonPath.value.trim() };
      for (const [key] of MAPPING) body[key] = form[key].value;
      fillSettings(await api("POST", "/api/user/settings", body));
      $("users-saved").textContent = "Saved: it applies from each user's next request.";
    });
  });
}

const attempt = (action) => reportingTo("users-error", action);

async function show() {
  const [users, settings] = await Promise.all([api("GET", "/api/user"), api("GET", "/api/user/settings")]);
  const header = el("tr", {}, ["User", "Name", ...ROLES, "Changed", ""].map((text) => el("th", { text })));
  $("users-table").replaceChildren(users.length ? el("table", {}, [header, ...users.map(userRow)])
    : el("p", { class: "muted", text: "No user records: everyone's roles come from their token's groups." }));
  fillSettings(settings);
  $("users-saved").textContent = "";
}

function fillSettings(settings) {
  const form = $("role-settings");
  form.roleJsonPath.value = settings.roleJsonPath;
  for (const [key] of MAPPING) form[key].value = settings[key];
}

// A row whose role boxes save at once; Delete gives the user back to the group mapping.
function userRow(user) {
  const boxes = ROLES.map((role) => el("input", { type: "checkbox", name: role, checked: user.roles.includes(role),
    onchange: () => attempt(async () => {
      const roles = boxes.filter((box) => box.checked).map((box) => box.name);
      Object.assign(user, await api("PUT", `/api/user/${encodeURIComponent(user.id)}`, { roles }));
    }) }));
  return el("tr", { "data-user": user.id }, [
    el("td", { text: user.id }), el("td", { text: user.name }), ...boxes.map((box) => el("td", {}, box)),
    el("td", { class: "muted", text: `${user.updateAt.slice(0, 16).replace("T", " ")} by ${user.operator}` }),
    el("td", {}, el("button", { type: "button", class: "remove", text: "Delete", onclick: () => attempt(async () => {
      await api("DELETE", `/api/user/${encodeURIComponent(user.id)}`);
      await show();
    }) })),
  ]);
}

export default { section: "page-users", show, setUp };

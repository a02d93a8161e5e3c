// The result table and its CSV export. The table reads like the chart: display names for columns and events,
// grouped thousands, and rates as the percentages the chart shows. The CSV keeps the API's names and raw values.

import { eventLabel } from "./catalog.js";
import { el } from "./dom.js";
import { columnName, isRate, number, percent } from "./format.js";

const EVENT_COLUMNS = new Set(["event_name", "start_event", "back_event", "source", "target"]);

function cellText(column, value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return isRate(column) ? percent(value) : number(value);
  return EVENT_COLUMNS.has(column) ? eventLabel(String(value)) : String(value);
}

export function renderTable(node, allColumns, rows) {
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
export function csvCell(value) {
  if (typeof value === "number") return String(value);
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function downloadCsv(fileName, columns, rows) {
  const lines = [columns.map(csvCell).join(","), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))];
  const link = el("a", { href: URL.createObjectURL(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" })),
    download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
}

// How values read on screen: display names beside their names, grouped thousands, rates as percentages.

// The name a team gave an event or parameter in the metadata catalog, if any.
export function displayName(entry) { return (entry && entry.displayName && entry.displayName["en-US"]) || ""; }

export function label(name, value) { return name && name !== value ? `${name} (${value})` : value; }

export function percent(value) { return `${(value * 100).toFixed(1)}%`; }

export function number(value) { return value.toLocaleString("en-US", { maximumFractionDigits: 2 }); }

// The result table reads like the chart: the API's column names become words an analyst uses.
const COLUMN_NAMES = {
  bucket: "Period", metric: "Metric", event_name: "Event", value: "Value", group_value: "Group", step: "Step",
  count: "Count", conversion_rate: "Conversion (of step 1)", step_rate: "Conversion (of previous step)",
  source_step: "Step", source: "From", target: "To", pair: "Pair", start_event: "Start event",
  back_event: "Return event", cohort: "Cohort", period: "Period", users: "Returned users", cohort_users: "Cohort users",
  rate: "Retention", touchpoint: "Touchpoint", total_triggers: "Triggers", triggers_with_conversion: "Triggers before a goal",
  contribution: "Credit", contribution_rate: "Share of credit",
};

export function columnName(column) {
  return COLUMN_NAMES[column] || column.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

export function isRate(column) { return column === "rate" || column.endsWith("_rate"); }

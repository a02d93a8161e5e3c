// Building the page: look an element up by id, or make one with its attributes, listeners and children.

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of [].concat(children)) if (child) node.append(child);
  return node;
}

// Run ``action``; a failure's message shows in the element ``errorId``, which a success clears.
export async function reportingTo(errorId, action) {
  try {
    await action();
    $(errorId).textContent = "";
  } catch (error) { $(errorId).textContent = error.message; }
}

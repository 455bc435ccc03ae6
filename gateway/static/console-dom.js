/*
 * The agent console's DOM and formatting helpers. Nodes are built with createElement and
 * textContent only: nothing anyone typed is ever parsed as HTML.
 */

export const $ = (id) => document.getElementById(id);

/* element("li", {text, className, testid, attrs}, [children]) */
export function element(tag, options, children) {
  const node = document.createElement(tag);
  const settings = options || {};
  if (settings.text !== undefined && settings.text !== null) node.textContent = String(settings.text);
  if (settings.className) node.className = settings.className;
  if (settings.testid) node.dataset.testid = settings.testid;
  for (const [name, value] of Object.entries(settings.attrs || {})) node.setAttribute(name, value);
  for (const child of children || []) if (child) node.appendChild(child);
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

export function words(code) {
  return String(code).replace(/_/g, " ");
}

export function when(iso) {
  const date = new Date(iso);
  return isNaN(date) ? String(iso) : date.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

/* "in 12 min", "in 3 h", "overdue by 5 min" */
export function relative(iso) {
  const minutes = Math.round((new Date(iso) - Date.now()) / 60000);
  if (isNaN(minutes)) return "";
  const size = Math.abs(minutes);
  const span = size >= 120 ? Math.round(size / 60) + " h" : size + " min";
  return minutes >= 0 ? "in " + span : "overdue by " + span;
}

export function number(value) {
  return typeof value === "number" ? String(Math.round(value * 100) / 100) : String(value);
}

// A share (0.918) as a percentage with one decimal ("91.8 %"); "–" when there is none.
export function share(value) {
  return typeof value === "number" ? (value * 100).toFixed(1) + " %" : "–";
}

/* Which text of an article the customer read, from a ticket's articles_shown entry or a review
 * case's: "version <hash>, updated <date>" ("" for one recorded before versions were). */
export function articleVersionText(article) {
  return [
    article.article_version ? "version " + article.article_version : null,
    article.article_updated ? "updated " + article.article_updated : null,
  ].filter(Boolean).join(", ");
}

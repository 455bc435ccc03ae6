// DOM helpers of the support widget: elements built with createElement and textContent only;
// links (bot messages only) for http(s) addresses only.

export function el(tag, attributes, children) {
  var node = document.createElement(tag);
  Object.keys(attributes || {}).forEach(function (name) {
    var value = attributes[name];
    if (name === "text") {
      node.textContent = value;
    } else if (name === "className") {
      node.className = value;
    } else if (value !== null && value !== undefined && value !== false) {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  });
  (children || []).forEach(function (child) {
    node.appendChild(child);
  });
  return node;
}

// Markdown links [title](https://...) and bare http(s) addresses; everything else is text.
var LINK_PATTERN = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"]+)/g;
var TRAILING_PUNCTUATION = /[.,;:!?)\]'"\u201d]+$/;

function safeHref(candidate) {
  try {
    var url = new URL(candidate);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch (error) {
    return null;
  }
}

export function linkify(text) {
  var fragment = document.createDocumentFragment();
  var last = 0;
  var match;
  LINK_PATTERN.lastIndex = 0;
  while ((match = LINK_PATTERN.exec(text)) !== null) {
    var title = match[1];
    var address = match[2] || match[3];
    var end = match.index + match[0].length;
    if (!title) {
      var trailing = address.match(TRAILING_PUNCTUATION);
      if (trailing) {
        address = address.slice(0, -trailing[0].length);
        end -= trailing[0].length;
      }
    }
    var href = safeHref(address);
    if (!href) {
      continue;
    }
    fragment.appendChild(document.createTextNode(text.slice(last, match.index)));
    fragment.appendChild(
      el("a", {
        href: href,
        target: "_blank",
        rel: "noopener noreferrer",
        "data-testid": "sw-link",
        text: title || address,
      })
    );
    last = end;
    LINK_PATTERN.lastIndex = end;
  }
  fragment.appendChild(document.createTextNode(text.slice(last)));
  return fragment;
}

export function chatIcon() {
  var ns = "http://www.w3.org/2000/svg";
  var svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "28");
  svg.setAttribute("height", "28");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  var path = document.createElementNS(ns, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute(
    "d",
    "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"
  );
  svg.appendChild(path);
  return svg;
}

/*
 * The console's views, one at a time, chosen by the address's fragment so each can be
 * bookmarked and the Back button works:
 *   #tickets (default)                      the agent's queues, lists and open ticket
 *   #dashboard[/today|7d|30d]               the supervisor dashboard (console-dashboard.js)
 *   #review, #review/{conversation}/{session}[?ticket=ID]   the QA review (console-review.js)
 *   #scorecards                             the signed-in person's own scorecards
 *   #content                                the content team's page (console-content.js)
 * The Dashboard and QA review links show only for role supervisor, Content for content and
 * supervisor (a content editor lands there and has no Tickets or scorecards); anyone who opens those
 * views anyway gets the service's 403 there, in words (the service decides, not this page).
 */

import { ApiError, explain } from "./console-api.js";
import { createContent } from "./console-content.js";
import { createDashboard } from "./console-dashboard.js";
import { $ } from "./console-dom.js";
import { createReview, openScorecards } from "./console-review.js";
import { CONTENT_ROLES } from "/widget/vocabulary.js";

const VIEWS = ["tickets", "dashboard", "review", "scorecards", "content"];
const SUPERVISOR_VIEWS = ["dashboard", "review"];

export function startViews(call, token) {
  let me = null;
  const dashboard = createDashboard(call, token);
  const review = createReview(call);
  const content = createContent(call);
  const openers = {
    dashboard: (args, who) => dashboard.open(args, who),
    review: (args) => review.open(args),
    content: () => content.open(),
    scorecards: (args, who) => openScorecards(call, who).catch((error) => {
      if (!(error instanceof ApiError)) throw error;
      $("scorecards-message").textContent = explain(error);
      $("scorecards-message").hidden = false;
    }),
  };

  function route() {
    if (!me) return;
    const [head, ...rest] = location.hash.replace(/^#/, "").split("/");
    const home = me.role === "content" ? "content" : "tickets";
    const name = VIEWS.includes(head) && (home === "tickets" || head === "content") ? head : home;
    for (const view of VIEWS) {
      $(view + "-view").hidden = view !== name;
      const link = document.querySelector("[data-testid=nav-" + view + "]");
      if (view === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (openers[name]) openers[name](rest.map(decodeURIComponent), me);
  }

  window.addEventListener("hashchange", route);
  return {
    signedIn(who) {
      me = who;
      for (const view of SUPERVISOR_VIEWS) {
        document.querySelector("[data-testid=nav-" + view + "]").hidden = who.role !== "supervisor";
      }
      for (const view of ["tickets", "scorecards"]) {
        document.querySelector("[data-testid=nav-" + view + "]").hidden = who.role === "content";
      }
      for (const part of document.querySelectorAll(".desk-only")) part.hidden = who.role === "content";
      document.querySelector("[data-testid=nav-content]").hidden = !CONTENT_ROLES.includes(who.role);
      route();
    },
    signedOut() {
      me = null;
      dashboard.close();
      for (const view of VIEWS) $(view + "-view").hidden = view !== "tickets";
    },
  };
}

/*
 * The supervisor dashboard's charts over time: one metric per line from
 * GET /agent/analytics/series (per hour for a one-day window, else per day), drawn with uPlot
 * (web/package.json, served from /vendor/ by the gateway; loaded only when charts are drawn,
 * so the tiles never wait for it). Each chart has its numbers as a table under "Data" for
 * screen readers and keyboards. A step without data is a gap.
 */

import { clear, element } from "./console-dom.js";

export const CHARTS = [
  {
    title: "Containment and escalation, % of sessions",
    lines: [["containment", "Containment", "#2e7d32"], ["escalation", "Escalation", "#b3261e"]],
    value: (point) => (typeof point.value === "number" ? Math.round(point.value * 1000) / 10 : null),
  },
  {
    title: "First response and resolution, median minutes",
    lines: [["first_response_seconds", "First response", "#1f5fa8"], ["resolution_seconds", "Resolution", "#8a5a00"]],
    value: (point) => (typeof point.p50 === "number" ? Math.round(point.p50 / 6) / 10 : null),
  },
  {
    title: "CSAT (1-5) and effort (1-7), mean",
    lines: [["csat_agent", "CSAT, agents", "#6a1b9a"], ["ces_bot", "Effort, assistant", "#00796b"]],
    value: (point) => (typeof point.mean === "number" ? Math.round(point.mean * 100) / 100 : null),
  },
];

let library = null;

async function uPlotClass() {
  if (!library) library = import("/vendor/uplot.js").then((module) => module.default);
  return library;
}

export async function drawCharts(box, call, query) {
  clear(box);
  let UPlot;
  try {
    UPlot = await uPlotClass();
  } catch (error) {
    library = null;
    box.appendChild(element("p", {
      className: "notice", testid: "charts-missing",
      text: "Charts need the chart library: run scripts/bootstrap.sh web on the gateway's machine.",
    }));
    return;
  }
  const figures = CHARTS.map((chart) => {
    const figure = element("figure", { className: "chart", testid: "chart" }, [
      element("figcaption", { text: chart.title }),
    ]);
    box.appendChild(figure);
    return figure;
  });
  await Promise.all(CHARTS.map((chart, index) => drawOne(UPlot, figures[index], chart, call, query)));
}

async function drawOne(UPlot, figure, chart, call, query) {
  let answers;
  try {
    answers = await Promise.all(chart.lines.map(([metric]) => {
      const params = new URLSearchParams(query);
      params.set("metric", metric);
      return call("GET", "analytics/series?" + params);
    }));
  } catch (error) {
    figure.appendChild(element("p", { className: "notice", text: "No chart: " + error.message + "." }));
    return;
  }
  // a newer draw (the window or a filter changed meanwhile) has replaced this figure
  if (!figure.isConnected) return;
  const times = answers[0].points.map((point) => Date.parse(point.from) / 1000);
  const lines = answers.map((answer) => answer.points.map(chart.value));
  const plot = element("div", { className: "plot", attrs: { "aria-hidden": "true" } });
  figure.appendChild(plot);
  const width = Math.max(280, Math.min(560, (figure.parentElement.clientWidth || 600) - 24));
  new UPlot({
    width,
    height: 200,
    series: [{}, ...chart.lines.map(([, label, stroke]) => ({ label, stroke, width: 2, spanGaps: false }))],
    axes: [{}, { size: 50 }],
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
  }, [times, ...lines], plot);
  figure.dataset.drawn = "true";
  figure.appendChild(dataTable(chart, answers, lines));
}

function dataTable(chart, answers, lines) {
  const head = element("tr", {}, [
    element("th", { text: "From", attrs: { scope: "col" } }),
    ...chart.lines.map(([, label]) => element("th", { text: label, attrs: { scope: "col" } })),
  ]);
  const rows = answers[0].points.map((point, index) => element("tr", {}, [
    element("th", { text: new Date(point.from).toLocaleString([], { dateStyle: "short", timeStyle: "short" }), attrs: { scope: "row" } }),
    ...lines.map((line) => element("td", { text: line[index] === null ? "—" : String(line[index]) })),
  ]));
  return element("details", { className: "chart-data" }, [
    element("summary", { text: "Data" }),
    element("table", { className: "data" }, [
      element("caption", { className: "visually-hidden", text: chart.title }),
      element("thead", {}, [head]),
      element("tbody", {}, rows),
    ]),
  ]);
}

/* The quality dashboard: charts drawn from the JSON the page embeds (json_script), and the state of a
 * live report computation, polled until it ends. Every chart has a table on the page with the same
 * numbers, so the canvases are only a picture of them. */
(function () {
  "use strict";

  const POLL_MS = 2000;
  // Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. The orange is
  // darkened to 3.5:1 on white (its #E69F00 is 2.25:1, under WCAG 1.4.11's 3:1 for graphics).
  const BLUE = "#0072B2";
  const ORANGE = "#C17A00";
  const GREEN = "#009E73";
  const RED = "#D55E00";
  const PURPLE = "#CC79A7";
  const GREY = "#5a6472";
  const MEASURES = [
    ["left", "Left rate", BLUE],
    ["loo_majority", "Agreement with the others' majority", GREEN],
    ["source", "Agreement with the source", ORANGE],
    ["gold", "Gold accuracy", PURPLE],
    ["probe", "Probe consistency", GREY],
  ];

  const percent = (value) => `${Math.round(value * 100)}%`;
  const share = { min: 0, max: 1, ticks: { callback: percent } };

  function chart(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) {
      new Chart(canvas, config);
    }
  }

  function drawThroughput(data) {
    chart("chart-throughput", {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: "Judgments per day", data: data.counts, backgroundColor: BLUE }],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  function drawPosition(data) {
    const colours = data.flagged.map((flagged) => (flagged ? RED : BLUE));
    chart("chart-position", {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          {
            type: "line",
            label: "Left rate (flagged: red triangle)",
            data: data.rate,
            showLine: false,
            pointRadius: 7,
            pointHoverRadius: 8,
            pointStyle: data.flagged.map((flagged) => (flagged ? "triangle" : "circle")),
            pointBackgroundColor: colours,
            pointBorderColor: colours,
            backgroundColor: BLUE,
            borderColor: BLUE,
            order: 0,
          },
          {
            type: "bar",
            label: "Wilson 95% interval",
            data: data.low.map((low, i) => (low === null ? null : [low, data.high[i]])),
            backgroundColor: "#0072B233",
            borderColor: BLUE, // the interval's edge at full strength: its fill alone is 1.3:1
            borderWidth: 1,
            maxBarThickness: 14,
            order: 1,
          },
          {
            type: "line",
            label: "No side preference (50%)",
            data: data.labels.map(() => 0.5),
            borderColor: GREY,
            borderDash: [6, 4],
            borderWidth: 1.5,
            pointRadius: 0,
            order: 2,
          },
        ],
      },
      options: {
        scales: { y: { ...share, title: { display: true, text: "Left-choice rate" } } },
        plugins: {
          tooltip: {
            callbacks: {
              label: (item) =>
                Array.isArray(item.raw)
                  ? `95% interval: ${percent(item.raw[0])} – ${percent(item.raw[1])}`
                  : `${item.dataset.label}: ${percent(item.raw)}`,
            },
          },
        },
      },
    });
  }

  function drawLength(data) {
    const bar = (label, values, colour) => ({ label, data: values, backgroundColor: colour, stack: "shares" });
    chart("chart-length", {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          bar("Chosen longer", data.longer, ORANGE),
          bar("Same length", data.same, GREY),
          bar("Chosen shorter", data.shorter, BLUE),
        ],
      },
      options: {
        scales: { x: { stacked: true }, y: { ...share, stacked: true, title: { display: true, text: "Share of decisive judgments (responses)" } } },
      },
    });
  }

  function drawSimilarity(data) {
    chart("chart-similarity", {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: "Transcripts (difflib ratio)", data: data.transcript, backgroundColor: ORANGE },
          { label: "Responses only (Indel)", data: data.response, backgroundColor: BLUE },
        ],
      },
      options: {
        scales: {
          x: { title: { display: true, text: "Similarity (bin start)" } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Pairs" } },
        },
      },
    });
  }

  function drawFatigue(id, data, axisTitle) {
    const observed = (values) => (values || []).some((value) => value !== null);
    const rates = MEASURES.filter(([key]) => observed(data[key])).map(([key, label, colour]) => ({
      type: "line",
      label,
      data: data[key],
      borderColor: colour,
      backgroundColor: colour,
      spanGaps: true,
      yAxisID: "y",
    }));
    chart(id, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          ...rates,
          {
            type: "bar",
            label: "Median dwell (s)",
            data: data.dwell_s,
            backgroundColor: "#5a647233",
            borderColor: GREY,
            borderWidth: 1,
            yAxisID: "dwell",
          },
        ],
      },
      options: {
        scales: {
          x: { title: { display: true, text: axisTitle } },
          y: { ...share, position: "left", title: { display: true, text: "Rate" } },
          dwell: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "Median dwell (s)" } },
        },
      },
    });
  }

  function drawCharts() {
    const source = document.getElementById("dashboard-data");
    if (!source || typeof Chart === "undefined") {
      return;
    }
    const data = JSON.parse(source.textContent);
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#1c2430";
    Chart.defaults.maintainAspectRatio = false;
    // Figures, not a show; people who ask for reduced motion get none anyway.
    Chart.defaults.animation = false;
    // A legend entry clicked hid its data, which no keyboard could undo: the legend is a key only.
    Chart.defaults.plugins.legend.onClick = null;
    drawThroughput(data.throughput);
    drawPosition(data.position);
    drawLength(data.length);
    drawSimilarity(data.similarity);
    drawFatigue("chart-fatigue-index", data.fatigue_index, "Index in sitting");
    drawFatigue("chart-fatigue-minutes", data.fatigue_minutes, "Minutes in sitting");
  }

  /* While a report is pending or running, ask for its state every 2 s; when it is done (or failed),
   * reload so that the page shows the new figures (or the failure). The status line is a live region:
   * it is written only when the state changes, since a screen reader may read out every rewrite. */
  function pollState() {
    const status = document.getElementById("report-state");
    if (!status || !status.dataset.stateUrl) {
      return;
    }
    const tick = async () => {
      try {
        const response = await fetch(status.dataset.stateUrl, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (response.ok) {
          const report = await response.json();
          if (report.state === "done" || report.state === "failed") {
            status.textContent = report.state === "done" ? "The new report is ready; reloading…" : "The computation failed; reloading…";
            window.location.reload();
            return;
          }
          if (report.state !== status.dataset.state) {
            status.dataset.state = report.state;
            status.textContent = `A new report is ${report.state}; this page reloads when it is ready.`;
          }
        }
      } catch (error) {
        // A dropped connection is no reason to stop: the next tick asks again.
      }
      window.setTimeout(tick, POLL_MS);
    };
    window.setTimeout(tick, POLL_MS);
  }

  drawCharts();
  pollState();
})();

// Service level and longest wait per interval through the day, one line per queue shown, drawn with uPlot;
// under each chart, the same figures as a table (for reading exact values, and for screen readers), built only
// while it is open.

import uPlot from "uplot";
import { append, h } from "../dom";
import type { QueueFigures } from "./types";

const COLOURS = ["#1f6feb", "#1a7f37", "#b35900", "#8250df", "#c62828", "#0a7d8c", "#6e7781", "#bf3989"];
const REDRAW_MS = 1000;

type Pick = (queue: QueueFigures, start: number) => number | null;

class Chart {
  private plot: uPlot | null = null;
  private key = "";
  private shown: QueueFigures[] = [];

  constructor(
    private readonly element: HTMLElement,
    private readonly unit: string,
    private readonly pick: Pick,
    private readonly figures: HTMLTableElement,
    private readonly format: (value: number) => string,
  ) {
    figures.closest("details")?.addEventListener("toggle", () => this.tabulate());
  }

  draw(queues: QueueFigures[]): void {
    const starts = [...new Set(queues.flatMap((q) => q.intervals.map((i) => i.start)))].sort((a, b) => a - b);
    const data: uPlot.AlignedData = [starts, ...queues.map((q) => starts.map((s) => this.pick(q, s)))];
    this.shown = queues;
    this.tabulate();
    const key = queues.map((q) => q.id).join(",");
    if (this.plot !== null && key === this.key) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.key = key;
    this.plot = new uPlot(this.options(queues), data, this.element);
  }

  /** The table of what the chart draws, one row per interval (the latest first), while it is open. */
  private tabulate(): void {
    if (!this.figures.closest("details")?.open) return;
    const queues = this.shown;
    const starts = [...new Set(queues.flatMap((q) => q.intervals.map((i) => i.start)))].sort((a, b) => b - a);
    const head = h("tr", {}, h("th", { scope: "col" }, "Interval"));
    for (const q of queues) append(head, h("th", { scope: "col", "data-queue": q.id }, q.name));
    const rows = starts.map((start) => {
      const row = h("tr", { "data-start": start }, h("th", { scope: "row" }, clock(start)));
      for (const q of queues) {
        const value = this.pick(q, start);
        append(row, h("td", { "data-queue": q.id }, value === null ? "–" : this.format(value)));
      }
      return row;
    });
    this.figures.replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));
  }

  private options(queues: QueueFigures[]): uPlot.Options {
    return {
      width: Math.max(300, this.element.clientWidth),
      height: 200,
      scales: { x: { time: true } },
      legend: { live: false }, // the series' names only: values that follow the cursor cost a redraw of both legends
      axes: [{}, { label: this.unit }],
      series: [
        {},
        ...queues.map((q, n) => ({ label: q.name, stroke: COLOURS[n % COLOURS.length], width: 2, spanGaps: true })),
      ],
    };
  }
}

export class Charts {
  private readonly sl: Chart;
  private readonly waiting: Chart;
  private pending: QueueFigures[] | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(sl: HTMLElement, waiting: HTMLElement, slFigures: HTMLTableElement, waitingFigures: HTMLTableElement) {
    this.sl = new Chart(
      sl,
      "%",
      (q, s) => q.intervals.find((i) => i.start === s)?.service_level_percent ?? null,
      slFigures,
      (v) => `${Math.round(v)}%`,
    );
    this.waiting = new Chart(
      waiting,
      "seconds",
      (q, s) => q.intervals.find((i) => i.start === s)?.longest_wait_seconds ?? null,
      waitingFigures,
      (v) => `${Math.round(v)} s`,
    );
  }

  /** Redrawn at most once a second: interval figures move slowly, events may come by the hundred. */
  update(queues: QueueFigures[]): void {
    this.pending = queues;
    if (this.timer !== null) return;
    this.flush();
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.pending !== null) this.flush();
    }, REDRAW_MS);
  }

  private flush(): void {
    const queues = this.pending ?? [];
    this.pending = null;
    this.sl.draw(queues);
    this.waiting.draw(queues);
  }
}

/** An interval's start as the browser's local time of day (hh:mm). */
function clock(start: number): string {
  return new Date(start * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// Service level and longest wait per interval through the day, one line per queue shown, drawn with uPlot.

import uPlot from "uplot";
import type { QueueFigures } from "./types";

const COLOURS = ["#1f6feb", "#1a7f37", "#b35900", "#8250df", "#c62828", "#0a7d8c", "#6e7781", "#bf3989"];
const REDRAW_MS = 1000;

type Pick = (queue: QueueFigures, start: number) => number | null;

class Chart {
  private plot: uPlot | null = null;
  private key = "";

  constructor(
    private readonly element: HTMLElement,
    private readonly unit: string,
    private readonly pick: Pick,
  ) {}

  draw(queues: QueueFigures[]): void {
    const starts = [...new Set(queues.flatMap((q) => q.intervals.map((i) => i.start)))].sort((a, b) => a - b);
    const data: uPlot.AlignedData = [starts, ...queues.map((q) => starts.map((s) => this.pick(q, s)))];
    const key = queues.map((q) => q.id).join(",");
    if (this.plot !== null && key === this.key) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.key = key;
    this.plot = new uPlot(this.options(queues), data, this.element);
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

  constructor(sl: HTMLElement, waiting: HTMLElement) {
    this.sl = new Chart(sl, "%", (q, s) => q.intervals.find((i) => i.start === s)?.service_level_percent ?? null);
    this.waiting = new Chart(
      waiting,
      "seconds",
      (q, s) => q.intervals.find((i) => i.start === s)?.longest_wait_seconds ?? null,
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

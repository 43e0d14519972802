// The IVR report in the console: over a date range, per interval, calls into the IVR and how they left it
// (a chart), and per step of the flows the options chosen and where callers hung up (a table, the range's
// sums), with the CSV downloads. All of it read from GET /api/v1/stats/ivr (the metrics engine).

import uPlot from "uplot";
import { type Api, messageOf } from "../api";
import { byId, h, setText } from "../dom";

interface IvrTotals {
  start: number;
  end: number;
  calls: number;
  hung_up: number;
  queued: Record<string, number>;
  ended: Record<string, number>;
}

interface IvrNode {
  node: string;
  verb: string;
  start: number;
  reached: number;
  options: Record<string, number>;
  by_speech: number;
  no_input: number;
  invalid_input: number;
  hung_up: number;
  queued: Record<string, number>;
  ended: Record<string, number>;
}

interface IvrReport {
  size: string;
  timezone: string;
  totals: IvrTotals[];
  nodes: IvrNode[];
}

const DAY_MS = 86_400_000;
const SERIES: [string, string, (t: IvrTotals) => number][] = [
  ["Calls into the IVR", "#1f6feb", (t) => t.calls],
  ["Left for a queue", "#1a7f37", (t) => sum(t.queued)],
  ["Hung up in the IVR", "#c62828", (t) => t.hung_up],
  ["Other ways out", "#6e7781", (t) => sum(t.ended)],
];

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function added(into: Record<string, number>, counts: Record<string, number>): void {
  for (const [key, n] of Object.entries(counts)) into[key] = (into[key] ?? 0) + n;
}

function listed(counts: Record<string, number>): string {
  const keys = Object.keys(counts).sort();
  return keys.length === 0 ? "–" : keys.map((k) => `${k}: ${counts[k]}`).join(" · ");
}

/** The range's sums per step, in the report's order (the order the steps were first reached). */
function perStep(nodes: IvrNode[]): IvrNode[] {
  const steps = new Map<string, IvrNode>();
  for (const n of nodes) {
    const s = steps.get(n.node);
    if (s === undefined) {
      steps.set(n.node, { ...n, options: { ...n.options }, queued: { ...n.queued }, ended: { ...n.ended } });
      continue;
    }
    s.reached += n.reached;
    s.by_speech += n.by_speech;
    s.no_input += n.no_input;
    s.invalid_input += n.invalid_input;
    s.hung_up += n.hung_up;
    added(s.options, n.options);
    added(s.queued, n.queued);
    added(s.ended, n.ended);
  }
  return [...steps.values()];
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export class IvrReportView {
  private plot: uPlot | null = null;

  constructor(private readonly api: Api) {}

  boot(): void {
    const form = byId<HTMLFormElement>("ivr-form");
    const today = isoDay(new Date(Date.now() - new Date().getTimezoneOffset() * 60_000));
    for (const name of ["from", "to"]) (form.elements.namedItem(name) as HTMLInputElement).value = today;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.load();
    });
    byId("ivr-csv-nodes").addEventListener("click", () => void this.download("nodes"));
    byId("ivr-csv-totals").addEventListener("click", () => void this.download("totals"));
  }

  /** The form as a query: `to` is the last day shown, so the range ends at the next day's start. */
  private query(): string {
    const form = byId<HTMLFormElement>("ivr-form");
    const value = (name: string): string => (form.elements.namedItem(name) as HTMLInputElement).value;
    const end = isoDay(new Date(Date.parse(`${value("to")}T00:00:00Z`) + DAY_MS));
    return new URLSearchParams({ start: value("from"), end, size: value("size") }).toString();
  }

  private async load(): Promise<void> {
    setText(byId("ivr-error"), "");
    try {
      this.draw(await this.api.get<IvrReport>(`/stats/ivr?${this.query()}`));
    } catch (e) {
      setText(byId("ivr-error"), messageOf(e));
    }
  }

  private draw(report: IvrReport): void {
    const t = report.totals;
    const calls = t.reduce((n, x) => n + x.calls, 0);
    const hungUp = t.reduce((n, x) => n + x.hung_up, 0);
    const queued: Record<string, number> = {};
    for (const x of t) added(queued, x.queued);
    setText(
      byId("ivr-summary"),
      `${calls} calls into the IVR · ${hungUp} hung up in it · left for a queue: ${listed(queued)} ` +
        `(times in ${report.timezone})`,
    );
    byId("ivr-rows").replaceChildren(...perStep(report.nodes).map((n) => this.row(n)));
    this.chart(t);
  }

  private row(n: IvrNode): HTMLTableRowElement {
    return h(
      "tr",
      { "data-node": n.node },
      h("td", {}, n.node),
      h("td", {}, n.verb),
      h("td", { "data-figure": "reached" }, n.reached),
      h("td", { "data-figure": "options" }, listed(n.options)),
      h("td", { "data-figure": "by_speech" }, n.by_speech),
      h("td", { "data-figure": "no_input" }, n.no_input),
      h("td", { "data-figure": "invalid_input" }, n.invalid_input),
      h("td", { "data-figure": "hung_up" }, n.hung_up),
      h("td", { "data-figure": "queued" }, listed(n.queued)),
    );
  }

  private chart(totals: IvrTotals[]): void {
    const element = byId("chart-ivr");
    const data: uPlot.AlignedData = [totals.map((t) => t.start), ...SERIES.map(([, , pick]) => totals.map(pick))];
    this.plot?.destroy();
    this.plot = new uPlot(
      {
        width: Math.max(300, element.clientWidth),
        height: 220,
        scales: { x: { time: true } },
        axes: [{}, { label: "calls" }],
        series: [{}, ...SERIES.map(([label, stroke]) => ({ label, stroke, width: 2, points: { show: true } }))],
      },
      data,
      element,
    );
  }

  private async download(part: "nodes" | "totals"): Promise<void> {
    setText(byId("ivr-error"), "");
    try {
      const blob = await this.api.blob(`/stats/ivr?${this.query()}&format=csv&part=${part}`);
      const link = h("a", { href: URL.createObjectURL(blob), download: `helpline-ivr-${part}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (e) {
      setText(byId("ivr-error"), messageOf(e));
    }
  }
}

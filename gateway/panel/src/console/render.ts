// The wallboard's tables: queues and agents, figures coloured when they breach a threshold, and the
// waiting work a supervisor can move, offer or explain. Data only ever becomes text.

import { duration, serverNow } from "../clock";
import { h } from "../dom";
import type { AgentFigures, QueueFigures, Thresholds, Work } from "./types";

export interface Filter {
  queue: string;
  skill: string;
}

export function queueShown(queue: QueueFigures, filter: Filter): boolean {
  return (!filter.queue || queue.id === filter.queue) && (!filter.skill || queue.skills.includes(filter.skill));
}

export function agentShown(agent: AgentFigures, filter: Filter): boolean {
  return (!filter.queue || agent.queues.includes(filter.queue)) && (!filter.skill || filter.skill in agent.skills);
}

const percent = (value: number | null): string => (value === null ? "–" : `${Math.round(value)}%`);
const seconds = (value: number | null): string => (value === null ? "–" : duration(value));

/** A cell that says whether its figure breached `limit` (above it, or below it when `below`). */
function figure(text: string, value: number | null, limit: number | null, below = false): HTMLTableCellElement {
  const breach = value !== null && limit !== null && (below ? value < limit : value > limit);
  const cell = h("td", { "data-breach": breach ? "true" : "false" }, text);
  if (breach) cell.classList.add("breach");
  else if (below && value !== null) cell.classList.add("met");
  return cell;
}

/** A cell counting up from `since` (epoch seconds), refreshed by `tick`. */
function since(start: number | null, limit: number | null): HTMLTableCellElement {
  const cell = h("td", { class: "since", "data-breach": "false" });
  if (start !== null) cell.dataset["since"] = String(start);
  if (limit !== null) cell.dataset["limit"] = String(limit);
  tickCell(cell, serverNow());
  return cell;
}

/** An inline count up from `start`, refreshed by `tick`. */
export function waited(start: number): HTMLSpanElement {
  const span = h("span", { class: "since", "data-since": start });
  tickCell(span, serverNow());
  return span;
}

function tickCell(cell: HTMLElement, now: number): void {
  const start = cell.dataset["since"];
  if (start === undefined) {
    cell.textContent = "–";
    return;
  }
  const elapsed = now - Number(start);
  const text = duration(elapsed);
  if (cell.textContent !== text) cell.textContent = text; // untouched cells cost the browser nothing
  const limit = cell.dataset["limit"];
  const breach = limit !== undefined && elapsed > Number(limit);
  if (cell.classList.contains("breach") !== breach) {
    cell.classList.toggle("breach", breach);
    cell.dataset["breach"] = breach ? "true" : "false";
  }
}

export function tick(root: HTMLElement): void {
  const now = serverNow();
  for (const cell of root.querySelectorAll<HTMLElement>(".since")) tickCell(cell, now);
}

export function queueRow(q: QueueFigures, t: Thresholds): HTMLTableRowElement {
  const a = (state: string): number => q.agents[state] ?? 0;
  return h(
    "tr",
    { "data-queue": q.id },
    h("th", { scope: "row" }, q.name),
    figure(String(q.waiting), q.waiting, t.waiting),
    since(q.oldest_enqueue_time, t.longest_wait_seconds),
    h("td", { "data-figure": "available" }, a("available")),
    h("td", { "data-figure": "ringing" }, a("ringing")),
    h("td", { "data-figure": "busy" }, a("busy")),
    h("td", { "data-figure": "not_ready" }, a("not_ready")),
    h("td", { "data-figure": "wrap_up" }, a("wrap_up")),
    h("td", { "data-figure": "offered" }, q.offered),
    h("td", { "data-figure": "answered" }, q.answered),
    h("td", { "data-figure": "abandoned" }, q.abandoned),
    serviceLevel(q),
    figure(seconds(q.asa_seconds), q.asa_seconds, t.asa_seconds),
    figure(seconds(q.aht_seconds), q.aht_seconds, t.aht_seconds),
    figure(percent(q.abandonment_percent), q.abandonment_percent, t.abandonment_percent),
  );
}

function serviceLevel(q: QueueFigures): HTMLTableCellElement {
  const breach = q.service_level_met === false;
  const cell = h(
    "td",
    { "data-breach": breach ? "true" : "false", title: `definition: ${q.service_level_definition}` },
    `${percent(q.service_level_percent)} / ${q.service_level_target_percent}%`,
  );
  if (breach) cell.classList.add("breach");
  else if (q.service_level_met) cell.classList.add("met");
  return cell;
}

function describe(work: Work): string {
  return `${work.channel} ${work.id.slice(0, 8)} (${work.queue}, ${work.state})`;
}

export function agentRow(agent: AgentFigures, t: Thresholds, control: HTMLElement): HTMLTableRowElement {
  const state = agent.state;
  const label = agent.reason ? `${state.replace("_", " ")}: ${agent.reason}` : state.replace("_", " ");
  return h(
    "tr",
    { "data-agent": agent.id },
    h("th", { scope: "row" }, agent.name),
    h("td", {}, h("span", { class: "state", "data-state": state }, label)),
    since(agent.since, agent.state === "not_ready" ? t.not_ready_seconds : null),
    h("td", {}, agent.work.map(describe).join(", ") || "–"),
    h("td", { "data-figure": "handled" }, agent.handled_today ?? "–"),
    figure(seconds(agent.aht_seconds), agent.aht_seconds, t.aht_seconds),
    figure(percent(agent.occupancy_percent), agent.occupancy_percent, t.occupancy_percent),
    h("td", {}, control),
  );
}

// The shapes the gateway sends the console (gateway/supervisor/_board.py) and answers it with.

export interface Thresholds {
  waiting: number | null;
  longest_wait_seconds: number | null;
  asa_seconds: number | null;
  aht_seconds: number | null;
  abandonment_percent: number | null;
  occupancy_percent: number | null;
  not_ready_seconds: number | null;
}

export interface Work {
  id: string;
  queue: string;
  channel: string;
  state: string;
  agent_id: string | null;
  enqueue_time: number;
  answered_at: number | null;
}

/** One 15-minute interval of a queue's day (start in epoch seconds). */
export interface Interval {
  start: number;
  offered: number;
  service_level_percent: number | null;
  longest_wait_seconds: number | null;
}

export interface QueueFigures {
  id: string;
  name: string;
  channel: string;
  skills: string[];
  waiting: number;
  oldest_enqueue_time: number | null;
  agents: Record<string, number>;
  offered: number;
  answered: number;
  abandoned: number;
  service_level_percent: number | null;
  service_level_met: boolean | null;
  service_level_definition: string;
  service_level_target_percent: number;
  service_level_threshold_seconds: number;
  asa_seconds: number | null;
  aht_seconds: number | null;
  abandonment_percent: number | null;
  work: Work[];
  intervals: Interval[];
}

export interface AgentFigures {
  id: string;
  name: string;
  skills: Record<string, number>;
  queues: string[];
  state: string;
  reason: string | null;
  since: number;
  work: Work[];
  handled_today: number | null;
  aht_seconds: number | null;
  occupancy_percent: number | null;
}

export interface Board {
  at: number;
  day_start: number;
  thresholds: Thresholds;
  skills: string[];
  queues: QueueFigures[];
  agents: AgentFigures[];
}

/** What no event changes: a snapshot carries it, a change does not. */
export type QueueIdentity =
  | "name"
  | "channel"
  | "skills"
  | "service_level_definition"
  | "service_level_target_percent"
  | "service_level_threshold_seconds";

/** A queue whose figures changed (its current interval only), or one whose agents only changed state (its
 * agents-by-state alone). */
export type QueueChange = Omit<QueueFigures, QueueIdentity> | Pick<QueueFigures, "id" | "agents">;

/** An agent whose state, work or figures changed. */
export type AgentChange = Omit<AgentFigures, "name" | "skills" | "queues">;

export interface BoardChanges {
  at: number;
  seq: number;
  event_at: number;
  queues: QueueChange[];
  agents: AgentChange[];
}

/** What moves with the clock alone, re-read by the server every 30 s. */
export interface BoardClock {
  at: number;
  agents: Pick<AgentFigures, "id" | "occupancy_percent">[];
}

export interface TraceStep {
  at: number;
  headline: string;
  rule: string;
  chosen_agent: string | null;
  candidates: string[];
  excluded: { agent: string; why: string }[];
  not_listed: number;
}

export interface Trace {
  interaction_id: string;
  queue: string;
  state: string;
  agent_id: string | null;
  entitlement: string | null;
  steps: TraceStep[];
}

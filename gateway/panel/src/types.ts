// The JSON shapes the panel reads from the gateway (REST, Socket.IO) as far as it uses them.

export type Scalar = string | number | boolean;

export interface User {
  id: string;
  name: string;
  role: string;
}

export interface Session {
  token: string;
  user: User;
}

/** An interaction as the socket sends it (router view) or REST lists it (record). */
export interface Interaction {
  id: string;
  channel?: string;
  queue?: string;
  state?: string;
  attributes?: Record<string, Scalar>;
  customer_ref?: string | null;
  agent_id?: string | null;
  offer_deadline?: number | null;
  created_at?: number;
  enqueue_time?: number;
  answered_at?: number | null;
  ended_at?: number | null;
  outcome?: string | null;
  end_reason?: string | null;
}

export interface PopCustomer {
  id: string;
  name: string;
  company?: string | null;
  account_number?: string | null;
  phone?: string | null;
  email?: string | null;
  matched_by: string;
  other_matches?: number;
}

export interface PopCase {
  id: string;
  subject: string;
  status: string;
  priority: number;
  updated_at: string;
}

export interface ScreenPop {
  schema_version: number;
  interaction_id: string;
  channel: string;
  queue?: string | null;
  caller?: string | null;
  wait_seconds?: number | null;
  customer?: PopCustomer | null;
  entitlement?: { level: string; products?: string[]; starts: string; ends?: string | null } | null;
  entitled: boolean;
  open_cases?: PopCase[];
  ivr?: Record<string, string>;
  intent?: string | null;
  case?: { id: string | null; subject: string; pending?: boolean; attached?: boolean | null } | null;
  crm_unavailable?: boolean;
  notice?: string | null;
}

export interface Offer {
  interaction: Interaction;
  pop: ScreenPop | null;
  deadline: number | null;
}

/** Presence in the shape shown: REST `{state, since, wrap_up_until}`, socket `{kind, until}` + event time. */
export interface Presence {
  state: string;
  reason: string | null;
  since: number | null;
  until: number | null;
}

export interface RoutingEvent {
  seq?: number;
  type?: string;
  at?: number;
  interaction_id?: string | null;
  agent_id?: string | null;
  data?: Record<string, unknown>;
  interaction?: Interaction;
  pop?: ScreenPop | null;
  /** `supervisor` pushes: the supervisor's display name. */
  name?: string | null;
}

export interface AgentState {
  agent: { id: string; presence: { kind: string; reason: string | null; until: number | null } };
  offers: Interaction[];
  work: Interaction[];
  /** The screen pops of those offers and that work, by interaction id (an offer missed while away). */
  pops?: Record<string, ScreenPop | null>;
  /** A supervisor on one of that work's calls, and how (only when the gateway is set to tell). */
  supervisors?: Record<string, { id: string; name?: string | null; mode: string | null }>;
}

export interface Customer {
  id: string;
  name: string;
  account_number?: string | null;
  company?: string | null;
  phone?: string | null;
  email?: string | null;
}

export interface CustomerDetail extends Customer {
  entitlements: { level: string; active: boolean; ends?: string | null }[];
  open_cases: { id: string; subject: string; status: string }[];
}

// The supervisor's console: log in (supervisors and admins only), then the wallboard kept live over the
// `/supervisor` socket (the whole board on every connect, then what each routing event changed), and the
// controls: an agent's state, moving or offering waiting work, and why work went where it went. Live chats
// are monitored, whispered to and taken over in ./chats.ts.

import { io, type Socket } from "socket.io-client";
import { Api, messageOf, sessionEnded } from "../api";
import { byId, h, setText } from "../dom";
import type { User } from "../types";
import { Charts } from "./charts";
import { type ChatMonitor, startMonitor } from "./chats";
import { IvrReportView } from "./ivr";
import { agentRow, agentShown, type Filter, queueRow, queueShown, tick, waited } from "./render";
import type {
  AgentFigures,
  Board,
  BoardChanges,
  BoardClock,
  QueueFigures,
  QueueIdentity,
  Thresholds,
  Trace,
  Work,
} from "./types";

const KEY = "helpline.console.session";
const WORK_SHOWN = 50; // the oldest waiting work listed, all queues shown together
const STAFF = ["supervisor", "admin"];
const ROW_HEIGHT = 40; // px, an agent row until one is measured
const OVERSCAN = 8; // agent rows drawn beyond the view each side

interface Session {
  token: string;
  user: User;
}

function loadSession(): Session | null {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEY) ?? "null") as Session | null;
    return value && typeof value.token === "string" ? value : null;
  } catch {
    return null;
  }
}

class Console {
  private session: Session | null = loadSession();
  private socket: Socket | null = null;
  private monitor: ChatMonitor | null = null;
  private readonly api = new Api(
    () => this.session?.token ?? null,
    (message) => this.logout(sessionEnded(message)),
  );
  private readonly queues = new Map<string, QueueFigures>();
  private readonly agents = new Map<string, AgentFigures>();
  private thresholds: Thresholds | null = null;
  private readonly filter: Filter = { queue: "", skill: "" };
  private readonly charts = new Charts(
    byId("chart-sl"),
    byId("chart-waiting"),
    byId<HTMLTableElement>("figures-sl"),
    byId<HTMLTableElement>("figures-waiting"),
  );
  // A supervisor's half-made choice (a state, a reason, a target) survives the board's redraws.
  private readonly controls = new Map<string, HTMLElement>();
  private workShown = "";
  private readonly workItems = new Map<string, HTMLLIElement>(); // by `work:<id>:<queue>`, as the controls
  private pending: BoardChanges[] = [];
  private readonly dirtyQueues = new Set<string>();
  private readonly dirtyAgents = new Set<string>();
  private workChanged = false; // a queue's figures changed, not only its agents-by-state
  // The agents' table draws only the rows in view (a thousand rows cost the browser seconds to lay out):
  // `agentOrder` is every agent the filter shows, `agentRows` the rows drawn, between two spacer rows.
  private agentOrder: string[] = [];
  private readonly agentRows = new Map<string, HTMLTableRowElement>();
  private rowHeight = 0;
  private windowQueued = false;

  boot(): void {
    byId<HTMLFormElement>("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.login(new FormData(event.target as HTMLFormElement));
    });
    byId("logout").addEventListener("click", () => this.logout(""));
    for (const [id, key] of [["queue-filter", "queue"], ["skill-filter", "skill"]] as const) {
      byId<HTMLSelectElement>(id).addEventListener("change", (event) => {
        this.filter[key] = (event.target as HTMLSelectElement).value;
        this.render();
      });
    }
    new IvrReportView(this.api).boot();
    byId("agent-scroll").addEventListener("scroll", () => this.queueWindow(), { passive: true });
    window.addEventListener("resize", () => this.queueWindow());
    setInterval(() => tick(byId("console")), 1000);
    if (this.session) this.start();
    else this.showLogin("");
  }

  private async login(form: FormData): Promise<void> {
    const error = byId("login-error");
    setText(error, "");
    try {
      const answer = await this.api.post<{ token: string; user: User }>("/auth/login", {
        username: String(form.get("username") ?? ""),
        password: String(form.get("password") ?? ""),
      });
      if (!STAFF.includes(answer.user.role)) {
        setText(error, `This console is for supervisors; ${answer.user.id} is ${answer.user.role}.`);
        return;
      }
      this.session = { token: answer.token, user: answer.user };
      sessionStorage.setItem(KEY, JSON.stringify(this.session));
      this.start();
    } catch (e) {
      setText(error, messageOf(e));
    }
  }

  private start(): void {
    const session = this.session;
    if (!session) return;
    byId("login").hidden = true;
    byId("console").hidden = false;
    setText(byId("user-name"), session.user.name);
    const socket = io("/supervisor", {
      path: "/socket.io",
      auth: { token: session.token },
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.socket = socket;
    this.monitor = startMonitor(byId("chat-monitor"), session.token, session.user.id);
    socket.on("connect", () => this.connection(true, "live"));
    socket.on("disconnect", (reason) => {
      this.connection(false, reason);
      if (reason === "io server disconnect") setTimeout(() => socket.connect(), 1000);
    });
    socket.on("connect_error", (error: Error) => {
      if (socket.active) this.connection(false, error.message);
      else this.logout(error.message);
    });
    socket.on("board", (board: Board) => this.board(board));
    socket.on("board_changes", (changes: BoardChanges) => this.changes(changes));
    socket.on("board_clock", (figures: BoardClock) => this.clockFigures(figures));
  }

  private connection(up: boolean, why: string): void {
    const element = byId("connection");
    element.dataset["up"] = String(up);
    setText(element, up ? "live" : `reconnecting (${why})`);
  }

  private board(board: Board): void {
    this.thresholds = board.thresholds;
    this.queues.clear();
    this.agents.clear();
    for (const q of board.queues) this.queues.set(q.id, q);
    for (const a of board.agents) this.agents.set(a.id, a);
    options(byId("queue-filter"), "All queues", board.queues.map((q) => [q.id, q.name]));
    options(byId("skill-filter"), "All skills", board.skills.map((s) => [s, s]));
    byId("agent-ids").replaceChildren(...board.agents.map((a) => h("option", { value: a.id }, a.name)));
    this.render();
  }

  /** Changes are merged as they come and drawn together once per frame: a busy floor never builds up a
   * backlog of redraws in the browser. */
  private changes(changes: BoardChanges): void {
    for (const q of changes.queues) {
      const before = this.queues.get(q.id);
      if (!before) continue; // every queue and agent is in the snapshot
      if ("intervals" in q) {
        this.queues.set(q.id, withIntervalsOf(before, q));
        this.workChanged = true;
      } else {
        this.queues.set(q.id, { ...before, agents: q.agents });
      }
      this.dirtyQueues.add(q.id);
    }
    this.mergeAgents(changes.agents);
    this.pending.push(changes);
    if (this.pending.length > 1) return;
    // the next frame, or 100 ms at most: a page the browser does not paint (hidden, throttled) still follows
    const draw = (): void => {
      if (this.pending.length > 0) this.drawChanges();
    };
    requestAnimationFrame(draw);
    setTimeout(draw, 100);
  }

  /** Figures the clock alone moved (occupancy): merged, drawn now or with the changes already waiting. */
  private clockFigures(figures: BoardClock): void {
    this.mergeAgents(figures.agents);
    if (this.pending.length === 0) this.drawChanges();
  }

  /** What changed of agents, over what the console has of them (every agent is in the snapshot). */
  private mergeAgents(changed: (Partial<AgentFigures> & Pick<AgentFigures, "id">)[]): void {
    for (const a of changed) {
      const before = this.agents.get(a.id);
      if (!before) continue;
      this.agents.set(a.id, { ...before, ...a });
      this.dirtyAgents.add(a.id);
    }
  }

  private drawChanges(): void {
    const t = this.thresholds;
    const drawn = this.pending;
    this.pending = [];
    if (t === null) return;
    for (const id of this.dirtyQueues) {
      const q = this.queues.get(id);
      const row = document.querySelector<HTMLTableRowElement>(`#queue-rows tr[data-queue="${CSS.escape(id)}"]`);
      if (q && row && queueShown(q, this.filter)) patchRow(row, queueRow(q, t), 0);
    }
    for (const id of this.dirtyAgents) {
      const row = this.agentRows.get(id); // an agent out of view is drawn from its figures when scrolled to
      const a = this.agents.get(id);
      if (row && a) patchRow(row, agentRow(a, t, h("span")), 1); // its controls stay as they are
    }
    if (this.workChanged) this.renderWork();
    this.workChanged = false;
    this.dirtyQueues.clear();
    this.dirtyAgents.clear();
    const root = byId("console");
    root.dataset["seq"] = String(drawn[drawn.length - 1]?.seq ?? root.dataset["seq"] ?? "");
    for (const changes of drawn) root.dispatchEvent(new CustomEvent("board-changed", { detail: changes }));
  }

  /** Everything again: on connect and when a filter changes (a change redraws only its own rows). */
  private render(): void {
    const t = this.thresholds;
    if (t === null) return;
    const queues = [...this.queues.values()].filter((q) => queueShown(q, this.filter));
    const agents = [...this.agents.values()].filter((a) => agentShown(a, this.filter));
    byId("queue-rows").replaceChildren(...queues.map((q) => queueRow(q, t)));
    this.agentOrder = agents.map((a) => a.id);
    this.agentRows.clear();
    this.drawWindow();
    this.renderWork();
  }

  private queueWindow(): void {
    if (this.windowQueued) return;
    this.windowQueued = true;
    requestAnimationFrame(() => {
      this.windowQueued = false;
      this.drawWindow();
    });
  }

  /** The agent rows scrolled into view (and a few either side), rows already drawn kept as they are. */
  private drawWindow(): void {
    const t = this.thresholds;
    if (t === null) return;
    const scroll = byId("agent-scroll");
    const body = byId("agent-rows");
    const total = this.agentOrder.length;
    if (this.rowHeight === 0 && total > 0) {
      // measured once on a real row: the spacers stand for the rows not drawn, at this height each
      const probe = agentRow(this.agents.get(this.agentOrder[0] ?? "") as AgentFigures, t, h("span"));
      body.replaceChildren(probe);
      this.rowHeight = probe.getBoundingClientRect().height || ROW_HEIGHT;
    }
    const height = this.rowHeight || ROW_HEIGHT;
    // where the table's body begins in the scrolled box (below the column headings)
    const bodyTop = body.getBoundingClientRect().top - scroll.getBoundingClientRect().top + scroll.scrollTop;
    const headed = scroll.scrollTop - bodyTop;
    const first = Math.max(0, Math.min(total, Math.floor(headed / height) - OVERSCAN));
    const last = Math.max(first, Math.min(total, Math.ceil((headed + scroll.clientHeight) / height) + OVERSCAN));
    const rows: HTMLTableRowElement[] = [];
    const drawn = new Map<string, HTMLTableRowElement>();
    for (const id of this.agentOrder.slice(first, last)) {
      const a = this.agents.get(id);
      if (a === undefined) continue;
      const row = this.agentRows.get(id) ?? agentRow(a, t, this.agentControl(a));
      drawn.set(id, row);
      rows.push(row);
    }
    const now = [...body.children];
    const same = now.length === rows.length + 2 && rows.every((row, i) => now[i + 1] === row);
    const top = spacer(first * height);
    const bottom = spacer((total - last) * height);
    if (same) {
      now[0]?.replaceWith(top); // scrolled within the rows drawn: only the spacers change
      now[now.length - 1]?.replaceWith(bottom);
    } else {
      body.replaceChildren(top, ...rows, bottom);
    }
    this.agentRows.clear();
    for (const [id, row] of drawn) this.agentRows.set(id, row);
    body.dataset["first"] = String(first);
    body.dataset["total"] = String(total);
  }

  private renderWork(): void {
    const queues = [...this.queues.values()].filter((q) => queueShown(q, this.filter));
    const work = queues
      .flatMap((q) => q.work)
      .sort((a, b) => a.enqueue_time - b.enqueue_time)
      .slice(0, WORK_SHOWN);
    const keys = work.map((w) => `work:${w.id}:${w.queue}:${w.state}:${w.agent_id ?? ""}`);
    this.charts.update(queues);
    if (keys.join(" ") === this.workShown) return; // nothing to redraw: a big list costs the browser dearly
    this.workShown = keys.join(" ");
    const live = new Set(work.map((w) => `work:${w.id}:${w.queue}`));
    this.forgetControls(live);
    for (const key of this.workItems.keys()) if (!live.has(key)) this.workItems.delete(key);
    // Items already listed stay in place (re-inserting one lays out its controls again, a select of every
    // queue among them): the gone are removed, the new inserted, a changed state rewritten in its text.
    const items = work.map((w) => this.workItem(w));
    const list = byId("work-rows");
    const wanted = new Set<Element>(items);
    for (const child of [...list.children]) if (!wanted.has(child)) child.remove();
    items.forEach((item, i) => {
      const at = list.children[i];
      if (at !== item) list.insertBefore(item, at ?? null);
    });
    byId("work-empty").hidden = work.length > 0;
  }

  private workItem(work: Work): HTMLLIElement {
    const key = `work:${work.id}:${work.queue}`;
    const kept = this.workItems.get(key);
    if (kept === undefined) {
      const item = this.workRow(work);
      this.workItems.set(key, item);
      return item;
    }
    const text = kept.childNodes[1];
    const now = workText(work);
    if (text && text.textContent !== now) text.textContent = now;
    return kept;
  }

  private agentControl(agent: AgentFigures): HTMLElement {
    const kept = this.controls.get(`agent:${agent.id}`);
    if (kept) return kept;
    const state = h(
      "select",
      { "aria-label": `New state for ${agent.name}` },
      h("option", { value: "available" }, "Available"),
      h("option", { value: "not_ready" }, "Not ready"),
      h("option", { value: "offline" }, "Log out"),
    );
    state.value = agent.state === "offline" ? "available" : agent.state === "available" || agent.state === "ringing" ? "not_ready" : "available";
    const reason = h("input", { placeholder: "reason", "aria-label": `Reason for ${agent.name}`, maxlength: 64 });
    const apply = h("button", { type: "button" }, "Apply");
    apply.addEventListener("click", () => {
      const body = { state: state.value, reason: reason.value.trim() || (state.value === "not_ready" ? "supervisor" : null) };
      void this.act(`/agents/${encodeURIComponent(agent.id)}/presence`, "PUT", body);
    });
    const control = h("div", { class: "control" }, state, reason, apply, this.callControl(agent));
    this.controls.set(`agent:${agent.id}`, control);
    return control;
  }

  /** On the agent's connected call: the supervisor's own phone joins it (listen, whisper, barge), changes
   * mode, leaves; "Why?" explains the agent's current work. The call is the agent's at the time of the click. */
  private callControl(agent: AgentFigures): HTMLElement {
    const mode = h(
      "select",
      { "aria-label": `Join ${agent.name}'s call as` },
      h("option", { value: "listen" }, "Listen"),
      h("option", { value: "whisper" }, "Whisper"),
      h("option", { value: "barge" }, "Barge"),
    );
    const join = h("button", { type: "button" }, "Join call");
    join.addEventListener("click", () => void this.joinCall(agent.id, "POST", { mode: mode.value }));
    const change = h("button", { type: "button", class: "quiet" }, "Change");
    change.addEventListener("click", () => void this.joinCall(agent.id, "PUT", { mode: mode.value }));
    const leave = h("button", { type: "button", class: "quiet" }, "Leave");
    leave.addEventListener("click", () => void this.joinCall(agent.id, "DELETE", undefined));
    const why = h("button", { type: "button", class: "quiet" }, "Why?");
    why.addEventListener("click", () => {
      const work = this.agents.get(agent.id)?.work[0];
      if (work) void this.explain(work.id);
      else this.notice(`${agent.name} has no work now.`);
    });
    return h("span", { class: "control call" }, mode, join, change, leave, why);
  }

  private async joinCall(agentId: string, method: "POST" | "PUT" | "DELETE", body: unknown): Promise<void> {
    const agent = this.agents.get(agentId);
    const call = agent?.work.find((w) => w.channel === "voice" && w.state === "assigned");
    if (!agent || !call) {
      this.notice(`${agent?.name ?? agentId} has no connected call.`);
      return;
    }
    try {
      await this.api.call<object>(method, `/interactions/${encodeURIComponent(call.id)}/monitor`, body);
      this.notice(method === "POST" ? `Your phone rings: answer it to join ${agent.name}'s call.` : "");
    } catch (e) {
      this.notice(messageOf(e));
    }
  }

  private workRow(work: Work): HTMLLIElement {
    return h(
      "li",
      { "data-interaction": work.id },
      h("strong", {}, work.channel),
      workText(work),
      waited(work.enqueue_time),
      this.workControl(work),
    );
  }

  private workControl(work: Work): HTMLElement {
    const key = `work:${work.id}:${work.queue}`;
    const kept = this.controls.get(key);
    if (kept) return kept;
    const queue = h("select", { "aria-label": "Move to queue" });
    for (const q of this.queues.values()) {
      if (q.id !== work.queue && q.channel === work.channel) queue.append(h("option", { value: q.id }, q.name));
    }
    // one list of agents for every row: a thousand agents must not mean a thousand options per row
    const agent = h("input", { "aria-label": "Offer to agent", list: "agent-ids", placeholder: "agent id", size: 10 });
    const move = h("button", { type: "button" }, "Move");
    move.addEventListener("click", () => void this.act(`/interactions/${work.id}/move`, "POST", { queue: queue.value }));
    const offer = h("button", { type: "button" }, "Offer");
    offer.addEventListener("click", () => void this.act(`/interactions/${work.id}/offer`, "POST", { agent_id: agent.value.trim() }));
    const why = h("button", { type: "button", class: "quiet" }, "Why?");
    why.addEventListener("click", () => void this.explain(work.id));
    const control = h("span", { class: "control" }, queue, move, agent, offer, why);
    this.controls.set(key, control);
    return control;
  }

  /** Controls of work no longer waiting go; agents' stay (there are as many as the configuration says). */
  private forgetControls(live: Set<string>): void {
    for (const key of this.controls.keys()) {
      if (key.startsWith("work:") && !live.has(key)) this.controls.delete(key);
    }
  }

  private async act(path: string, method: string, body: unknown): Promise<void> {
    try {
      const answer = await this.api.call<Trace | object>(method, path, body);
      this.notice("");
      if ("steps" in answer) this.showTrace(answer as Trace);
    } catch (e) {
      this.notice(messageOf(e));
    }
  }

  private async explain(interactionId: string): Promise<void> {
    try {
      this.showTrace(await this.api.get<Trace>(`/interactions/${interactionId}/why`));
    } catch (e) {
      this.notice(messageOf(e));
    }
  }

  private showTrace(trace: Trace): void {
    const steps = trace.steps.map((s) =>
      h(
        "li",
        {},
        h("span", {}, `${new Date(s.at * 1000).toLocaleTimeString()} ${s.headline}`),
        s.candidates.length ? h("div", {}, `Candidates: ${s.candidates.join(", ")}`) : null,
        s.excluded.length
          ? h("div", { class: "excluded" }, `Not chosen: ${s.excluded.map((e) => `${e.agent} (${e.why})`).join("; ")}`)
          : null,
      ),
    );
    byId("trace").replaceChildren(
      h("h3", {}, `Why ${trace.interaction_id.slice(0, 8)} is ${trace.state} in ${trace.queue}`),
      h("p", {}, trace.entitlement ?? ""),
      steps.length ? h("ol", {}, ...steps) : h("p", { class: "hint" }, "No routing decision yet."),
    );
    byId("trace").hidden = false;
  }

  private notice(message: string): void {
    const element = byId("notice");
    setText(element, message);
    element.hidden = message === "";
  }

  private logout(message: string): void {
    this.socket?.disconnect();
    this.socket = null;
    this.monitor?.close();
    this.monitor = null;
    this.session = null;
    sessionStorage.removeItem(KEY);
    this.showLogin(message);
  }

  private showLogin(message: string): void {
    byId("console").hidden = true;
    byId("login").hidden = false;
    setText(byId("login-error"), message);
  }
}

function workText(work: Work): string {
  return `${work.id.slice(0, 8)} in ${work.queue}, ${work.state}${work.agent_id ? ` at ${work.agent_id}` : ""}`;
}

/** A change carries what can change, and the current interval only: what the queue is and the earlier
 * intervals are kept from what the console has. */
function withIntervalsOf(before: QueueFigures, after: Omit<QueueFigures, QueueIdentity>): QueueFigures {
  const fresh = new Set(after.intervals.map((i) => i.start));
  const kept = before.intervals.filter((i) => !fresh.has(i.start));
  return { ...before, ...after, intervals: [...kept, ...after.intervals].sort((a, b) => a.start - b.start) };
}

/** Bring `row` to what `fresh` shows, changing only the cells that differ (but the `kept` last ones). */
function patchRow(row: HTMLTableRowElement, fresh: HTMLTableRowElement, kept: number): void {
  const cells = [...row.cells];
  const next = [...fresh.cells];
  for (let i = 0; i < next.length - kept; i++) {
    const [old, cell] = [cells[i], next[i]];
    if (old && cell && !old.isEqualNode(cell)) patchCell(old, cell);
  }
}

/** A cell of text is changed in place (a new cell element would make the browser lay the table out anew);
 * others are replaced. */
function patchCell(old: HTMLTableCellElement, cell: HTMLTableCellElement): void {
  if (old.childElementCount > 0 || cell.childElementCount > 0 || old.tagName !== cell.tagName) {
    old.replaceWith(cell);
    return;
  }
  for (const name of old.getAttributeNames()) if (!cell.hasAttribute(name)) old.removeAttribute(name);
  for (const name of cell.getAttributeNames()) {
    const value = cell.getAttribute(name) ?? "";
    if (old.getAttribute(name) !== value) old.setAttribute(name, value);
  }
  if (old.textContent !== cell.textContent) old.textContent = cell.textContent;
}

/** A row standing for `height` pixels of agent rows not drawn. */
function spacer(height: number): HTMLTableRowElement {
  const row = h("tr", { class: "spacer", "aria-hidden": "true" }, h("td", { colspan: 8 }));
  row.style.height = `${height}px`;
  return row;
}

function options(select: HTMLSelectElement, all: string, items: [string, string][]): void {
  const chosen = select.value;
  select.replaceChildren(h("option", { value: "" }, all), ...items.map(([v, t]) => h("option", { value: v }, t)));
  select.value = items.some(([v]) => v === chosen) ? chosen : "";
}

new Console().boot();

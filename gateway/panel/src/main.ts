// The agent panel: log in, then presence, offers, work, wrap-up, today's interactions and customers,
// all kept in step with the gateway over Socket.IO (state is re-read from the server on every connect).

import { Api, messageOf, sessionEnded } from "./api";
import { AfterCall } from "./aftercall";
import { duration, serverNow } from "./clock";
import { ChatDesk } from "./chat";
import { Customers } from "./customers";
import { byId, setText } from "./dom";
import { refreshHistory } from "./history";
import { Live, type LiveHandlers } from "./live";
import { renderOffers } from "./offers";
import { renderPresence, setupPresence } from "./presence";
import { clearSession, loadSession, saveSession } from "./session";
import { Store } from "./store";
import type { AgentState, Interaction, RoutingEvent, Session, User } from "./types";
import { WorkList } from "./work";

const HISTORY_DEBOUNCE_MS = 250;

interface AgentOut {
  id: string;
  presence: { state: string; reason: string | null; since: number; wrap_up_until: number | null };
}

class App {
  private session: Session | null = loadSession();
  private readonly store = new Store();
  private readonly api = new Api(
    () => this.session?.token ?? null,
    (message) => this.logout(sessionEnded(message)),
  );
  private live: Live | null = null;
  private chats: ChatDesk | null = null;
  private queues: string[] = [];
  private readonly work = new WorkList(this.store, this.api, () => this.queues, () => this.session?.user.id ?? "");
  private readonly afterCall = new AfterCall(this.store, this.api);

  boot(): void {
    byId<HTMLFormElement>("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.login(new FormData(event.target as HTMLFormElement));
    });
    byId("logout").addEventListener("click", () => void this.signOut());
    setupPresence(this.api, () => this.session?.user.id ?? "", (m) => this.notice(m));
    new Customers(this.api).setup();
    this.store.onChange(() => this.render());
    setInterval(tick, 500);
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
      if (answer.user.role !== "agent") {
        setText(error, `This panel is for agents; ${answer.user.id} is ${answer.user.role}.`);
        return;
      }
      this.session = { token: answer.token, user: answer.user };
      saveSession(this.session);
      this.start();
    } catch (e) {
      setText(error, messageOf(e));
    }
  }

  private start(): void {
    const session = this.session;
    if (!session) return;
    byId("login").hidden = true;
    byId("panel").hidden = false;
    setText(byId("agent-name"), session.user.name);
    this.live = new Live(session.token, this.handlers());
    this.chats = new ChatDesk(session.token, (id) => {
      const item = this.store.work.get(id);
      if (item) item.ending = true; // its disposition goes with the chat's End: no after-call form
    });
    void this.refresh();
    this.api
      .get<{ items: { id: string }[] }>("/queues")
      .then(({ items }) => (this.queues = items.map((q) => q.id)))
      .catch((e: unknown) => this.notice(messageOf(e)));
  }

  /** What the server knows and the socket does not carry: presence since when, today's interactions. */
  private async refresh(): Promise<void> {
    try {
      const news = this.store.presenceNews;
      const { items } = await this.api.get<{ items: AgentOut[] }>("/agents");
      const me = items.find((a) => a.id === this.session?.user.id);
      const current = this.store.presence;
      const p = me?.presence;
      // The socket may have told a newer state while this answer was on its way: then only `since` is news.
      if (p && (news === this.store.presenceNews || (p.state === current.state && p.reason === current.reason))) {
        this.store.presence = { state: p.state, reason: p.reason, since: p.since, until: p.wrap_up_until };
        this.store.changed();
      }
    } catch (e) {
      this.notice(messageOf(e));
    }
    this.refreshHistory();
  }

  private historyTimer: number | undefined;

  /** Today's list, re-read at most once per burst of events (an offer burst must not wait on it). */
  private refreshHistory(): void {
    clearTimeout(this.historyTimer);
    this.historyTimer = window.setTimeout(
      () => void refreshHistory(this.api, (id) => this.store.name(id)),
      HISTORY_DEBOUNCE_MS,
    );
  }

  private handlers(): LiveHandlers {
    const store = this.store;
    return {
      state: (s) => this.applyState(s),
      offer: (e) => {
        store.rememberPop(e.pop);
        const deadline = e.data?.["deadline"];
        store.addOffer(e.interaction ?? { id: e.interaction_id ?? "" }, typeof deadline === "number" ? deadline : null);
        store.changed();
      },
      pop: (e) => {
        store.rememberPop(e.pop);
        const offer = store.offers.get(e.interaction_id);
        if (offer) offer.pop = e.pop;
        store.changed();
      },
      offerEnded: (e) => {
        store.offers.delete(e.interaction_id ?? "");
        store.changed();
      },
      assigned: (e) => void this.assigned(e),
      ended: (e) => {
        const id = e.interaction_id ?? "";
        const item = store.work.get(id);
        store.work.delete(id);
        if (item && !item.ending) store.wrapUps.set(id, item.interaction);
        store.changed();
        this.refreshHistory();
      },
      presence: (e) => {
        const p = e.data?.["presence"] as { kind: string; reason: string | null; until: number | null } | undefined;
        if (!p) return;
        store.presenceNews += 1;
        store.presence = { state: p.kind, reason: p.reason, since: e.at ?? serverNow(), until: p.until };
        store.changed();
      },
      supervisor: (e) => {
        const item = store.work.get(e.interaction_id ?? "");
        if (!item) return;
        const action = String(e.data?.["action"] ?? "");
        const details = (e.data?.["details"] ?? {}) as { mode?: string };
        const actor = String(e.data?.["by"] ?? "");
        const name = e.name ?? null;
        item.supervisor = action === "monitor_leave" ? null : { id: actor, name, mode: details.mode ?? "listen" };
        store.changed();
      },
      connection: (connected, why) => {
        const was = store.connected;
        store.connected = connected;
        this.renderConnection(why);
        if (connected && !was && store.synced) void this.refresh();
      },
      refused: (message) => this.logout(sessionEnded(message)),
    };
  }

  private applyState(state: AgentState): void {
    const store = this.store;
    store.synced = true;
    store.offers.clear();
    for (const pop of Object.values(state.pops ?? {})) if (pop) store.rememberPop(pop);
    for (const i of state.offers) store.addOffer(i, null);
    const work = new Set(state.work.map((i) => i.id));
    for (const id of [...store.work.keys()]) if (!work.has(id)) store.work.delete(id);
    for (const i of state.work) store.addWork(i);
    for (const [id, item] of store.work) {
      const s = state.supervisors?.[id];
      item.supervisor = s ? { id: s.id, name: s.name ?? null, mode: s.mode ?? "listen" } : null;
    }
    const p = state.agent.presence;
    if (p.kind !== store.presence.state || p.reason !== store.presence.reason) {
      store.presenceNews += 1;
      store.presence = { state: p.kind, reason: p.reason, since: null, until: p.until };
    }
    store.changed();
  }

  private async assigned(e: RoutingEvent): Promise<void> {
    const id = e.interaction_id ?? "";
    let interaction: Interaction | undefined = this.store.offers.get(id)?.interaction;
    if (!interaction) interaction = await this.api.get<Interaction>(`/interactions/${encodeURIComponent(id)}`);
    this.store.offers.delete(id);
    this.store.addWork({ ...interaction, state: "assigned", answered_at: e.at ?? serverNow() });
    this.store.changed();
    this.refreshHistory();
  }

  private async answer(kind: "accept" | "reject", id: string): Promise<{ ok: boolean; message?: string }> {
    const ack = this.live ? await this.live.send(kind, id) : { ok: false, message: "not connected" };
    if (ack.ok) {
      this.store.offers.delete(id);
      this.store.changed();
    }
    return ack;
  }

  private render(): void {
    renderPresence(this.store.presence);
    renderOffers(this.store.offers, { answer: (kind, id) => this.answer(kind, id) });
    this.work.render();
    this.afterCall.render();
    tick();
  }

  private renderConnection(why: string): void {
    const banner = byId("connection");
    banner.hidden = this.store.connected;
    setText(banner, this.store.connected ? "" : `Reconnecting to the gateway… (${why})`);
  }

  private notice(message: string): void {
    const notice = byId("notice");
    setText(notice, message);
    notice.hidden = !message;
  }

  /** The Log out button: the gateway revokes the token (and ends its sockets), then the panel forgets it. */
  private async signOut(): Promise<void> {
    const token = this.session?.token;
    this.logout("");
    if (!token) return;
    try {
      await fetch("/api/v1/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${token}` } });
    } catch {
      // Unreachable gateway: the token is forgotten here and expires by itself.
    }
  }

  private logout(message: string): void {
    this.live?.close();
    this.live = null;
    this.chats?.close();
    this.chats = null;
    this.session = null;
    clearSession();
    this.store.clear();
    this.showLogin(message);
  }

  private showLogin(message: string): void {
    byId("panel").hidden = true;
    byId("login").hidden = false;
    setText(byId("login-error"), message);
  }
}

/** Counters: time in state, time left to answer an offer or in wrap-up, time on an interaction. */
function tick(): void {
  const now = serverNow();
  for (const element of Array.from(document.querySelectorAll<HTMLElement>("[data-countdown-to]"))) {
    const left = Number(element.dataset["countdownTo"]) - now;
    show(element, duration(Math.ceil(left)));
    if (element.classList.contains("urgent") !== left < 10) element.classList.toggle("urgent", left < 10);
  }
  for (const element of Array.from(document.querySelectorAll<HTMLElement>("[data-elapsed-from]"))) {
    show(element, duration(now - Number(element.dataset["elapsedFrom"])));
  }
}

/** Touches the DOM only when the text changes: a counter costs one layout a second, not two. */
function show(element: HTMLElement, text: string): void {
  if (element.textContent !== text) setText(element, text);
}

new App().boot();

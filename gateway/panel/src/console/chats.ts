// The console's chat monitor (over /supervisor-chat): every live chat with its agent and help flag; a chat
// opened here is read as it happens (messages, whispers and the customer's typing), whispered to (only the
// agent and supervisors see it), or taken over (the agent goes to wrap-up, the supervisor replies).
// Every text from a customer or agent becomes a text node (h()), never HTML.

import { io, type Socket } from "socket.io-client";
import { append, byId, h, setText } from "../dom";

interface ChatSummary {
  id: string;
  visitor_name: string;
  agent_id: string | null;
  agent_name: string | null;
  state: string;
  help: boolean;
  taken_by: string | null;
  read_by_customer?: number; // the customer has read the agent's (or the supervisor's) messages up to here
  read_by_agent?: number;
}

interface ChatMessage {
  conversation_id: string;
  seq: number;
  sender: string;
  author_name: string;
  text: string;
  visibility: string;
}

interface Ack {
  ok: boolean;
  message?: string;
  [key: string]: unknown;
}

export class ChatMonitor {
  private readonly socket: Socket;
  private readonly chats = new Map<string, ChatSummary>();
  private readonly messages = new Map<number, ChatMessage>();
  private watching: string | null = null;
  private customerRead = 0;
  private readSent = 0; // how far this supervisor, once the chat is theirs, has said they read

  constructor(token: string, private readonly me: string) {
    this.socket = io("/supervisor-chat", { path: "/socket.io", auth: { token }, transports: ["websocket", "polling"] });
    const s = this.socket;
    s.on("disconnect", (reason) => { if (reason === "io server disconnect") setTimeout(() => s.connect(), 1000); });
    s.on("connect", () => { if (this.watching) void this.watch(this.watching); });
    s.on("chats", (d: { chats: ChatSummary[] }) => {
      this.chats.clear();
      for (const c of d.chats) this.chats.set(c.id, c);
      this.renderList();
    });
    s.on("chat", (c: ChatSummary) => { this.chats.set(c.id, c); this.renderList(); this.renderControls(); });
    s.on("chat_ended", (e: { conversation_id: string }) => { this.chats.delete(e.conversation_id); this.renderList(); });
    s.on("message", (m: ChatMessage) => {
      if (m.conversation_id !== this.watching) return;
      this.messages.set(m.seq, m);
      this.renderLog();
    });
    s.on("typing", (t: { conversation_id: string; typing: boolean; by: string }) => {
      if (t.conversation_id !== this.watching) return;
      const line = byId("monitor-typing");
      line.hidden = !t.typing;
      setText(line, t.by === "customer" ? "The customer is typing…" : "The agent is typing…");
    });
    s.on("read", (r: { conversation_id: string; seq: number }) => {
      if (r.conversation_id !== this.watching) return;
      this.customerRead = Math.max(this.customerRead, r.seq);
      this.renderLog();
    });
    s.on("ended", (e: { conversation_id: string; ended_by: string }) => {
      if (e.conversation_id !== this.watching) return;
      setText(byId("monitor-status"), `Ended by the ${e.ended_by}.`);
      for (const f of ["monitor-whisper", "monitor-reply"]) byId(f).hidden = true;
      byId("monitor-take-over").hidden = true;
    });
    this.wire();
  }

  close(): void {
    this.socket.close();
  }

  private async call(event: string, data: object): Promise<Ack> {
    return (await this.socket.timeout(15000).emitWithAck(event, data)) as Ack;
  }

  private wire(): void {
    const whisper = byId<HTMLFormElement>("monitor-whisper");
    whisper.addEventListener("submit", (event) => {
      event.preventDefault();
      const input = whisper.querySelector("input") as HTMLInputElement;
      const text = input.value.trim();
      if (!text || !this.watching) return;
      void this.call("whisper", { conversation_id: this.watching, client_id: crypto.randomUUID(), text }).then((got) => {
        if (got.ok) input.value = "";
        else setText(byId("monitor-error"), got.message ?? "whisper failed");
      });
    });
    const reply = byId<HTMLFormElement>("monitor-reply");
    const input = reply.querySelector("input") as HTMLInputElement;
    let typing = false;
    const setTyping = (now: boolean): void => {
      if (now !== typing && this.watching) { typing = now; void this.call("typing", { conversation_id: this.watching, typing: now }); }
    };
    input.addEventListener("input", () => setTyping(input.value.length > 0));
    reply.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text || !this.watching) return;
      void this.call("send", { conversation_id: this.watching, client_id: crypto.randomUUID(), text }).then((got) => {
        if (got.ok) { input.value = ""; setTyping(false); }
        else setText(byId("monitor-error"), got.message ?? "send failed");
      });
    });
    byId("monitor-take-over").addEventListener("click", () => {
      if (!this.watching) return;
      void this.call("take_over", { conversation_id: this.watching }).then((got) => {
        if (!got.ok) { setText(byId("monitor-error"), got.message ?? "take over failed"); return; }
        const c = got["conversation"] as ChatSummary;
        this.chats.set(c.id, c);
        this.renderList();
        this.renderControls();
        this.markRead(); // the supervisor has read the chat so far: the customer sees it as read
      });
    });
  }

  private async watch(id: string): Promise<void> {
    if (this.watching && this.watching !== id) {
      void this.call("unwatch", { conversation_id: this.watching });
      this.messages.clear();
    }
    if (this.watching !== id) { this.customerRead = 0; this.readSent = 0; }
    this.watching = id;
    const after = Math.max(0, ...this.messages.keys());
    const got = await this.call("watch", { conversation_id: id, after });
    setText(byId("monitor-error"), got.ok ? "" : (got.message ?? "cannot watch this chat"));
    if (!got.ok) return;
    for (const m of got["messages"] as ChatMessage[]) this.messages.set(m.seq, m);
    const c = got["conversation"] as ChatSummary;
    this.chats.set(c.id, c);
    this.customerRead = Math.max(this.customerRead, c.read_by_customer ?? 0);
    this.readSent = Math.max(this.readSent, c.read_by_agent ?? 0);
    byId("monitor").hidden = false;
    setText(byId("monitor-title"), c.visitor_name);
    setText(byId("monitor-status"), "");
    byId("monitor-typing").hidden = true;
    this.renderList();
    this.renderControls();
    this.renderLog();
  }

  private renderList(): void {
    const rows = [...this.chats.values()].map((c) => {
      const open = h("button", { type: "button", class: "quiet", "aria-label": `Monitor chat with ${c.visitor_name}` }, "Monitor");
      open.addEventListener("click", () => void this.watch(c.id));
      return h(
        "li",
        { class: `monitor-chat${c.help ? " help" : ""}`, "data-conversation-id": c.id },
        h("span", { class: "who" }, c.visitor_name),
        " · ",
        c.agent_name ?? (c.state === "waiting" ? "waiting" : "no agent"),
        c.help ? h("span", { class: "help-flag", role: "status" }, "Needs help") : null,
        c.id === this.watching ? null : open,
      );
    });
    byId("monitor-chats").replaceChildren(...rows);
    byId("monitor-empty").hidden = rows.length > 0;
  }

  private renderControls(): void {
    const c = this.watching ? this.chats.get(this.watching) : undefined;
    if (!c) return;
    const mine = c.taken_by === this.me;
    byId("monitor-take-over").hidden = mine || c.agent_id === null || c.taken_by !== null;
    byId("monitor-reply").hidden = !mine;
    byId("monitor-whisper").hidden = mine;
    setText(byId("monitor-agent"), c.agent_name ? `Agent: ${c.agent_name}` : "No agent yet");
  }

  private renderLog(): void {
    const log = byId("monitor-log");
    const ordered = [...this.messages.values()].sort((a, b) => a.seq - b.seq);
    log.replaceChildren(...ordered.map((m) => h(
      "li",
      { class: `chat-message ${m.sender}${m.visibility === "agents" ? " whisper" : ""}`, "data-seq": m.seq },
      h("span", { class: "who" }, m.author_name),
      " ",
      h("span", { class: "text" }, m.text),
      m.visibility === "agents" ? h("span", { class: "hint" }, " (whisper)") : null,
      m.sender === "agent" && m.seq <= this.customerRead ? h("span", { class: "read" }, " Read") : null,
    )));
    log.scrollTop = log.scrollHeight;
    this.markRead();
  }

  /** In a chat this supervisor took over, the customer's messages shown are read (as the agent's window does). */
  private markRead(): void {
    const c = this.watching ? this.chats.get(this.watching) : undefined;
    if (!c || c.taken_by !== this.me || document.visibilityState !== "visible") return;
    const last = Math.max(0, ...[...this.messages.values()].filter((m) => m.sender === "customer").map((m) => m.seq));
    if (last <= this.readSent) return;
    this.readSent = last;
    void this.call("read", { conversation_id: c.id, seq: last });
  }
}

/** The monitor's part of the console page. */
export function monitorSection(): HTMLElement {
  const whisper = h("form", { id: "monitor-whisper", class: "chat-composer" },
    h("input", { placeholder: "Whisper to the agent", "aria-label": "Whisper to the agent", maxlength: 2000 }),
    h("button", { type: "submit" }, "Whisper"));
  const reply = h("form", { id: "monitor-reply", class: "chat-composer", hidden: true },
    h("input", { placeholder: "Reply to the customer", "aria-label": "Reply to the customer", maxlength: 2000 }),
    h("button", { type: "submit" }, "Send"));
  const section = h("section", { class: "card", "aria-label": "Live chats" },
    h("h2", {}, "Live chats"),
    h("ul", { id: "monitor-chats", class: "work-rows" }),
    h("p", { id: "monitor-empty", class: "hint" }, "No live chats."),
    h("article", { id: "monitor", class: "monitor", hidden: true },
      h("h3", { id: "monitor-title" }),
      h("p", { id: "monitor-agent", class: "hint" }),
      h("ol", { id: "monitor-log", class: "chat-log", "aria-label": "Monitored chat", "aria-live": "polite" }),
      h("p", { id: "monitor-typing", class: "hint", hidden: true }),
      h("p", { id: "monitor-status", class: "hint", role: "status" }),
      whisper,
      reply,
      h("button", { id: "monitor-take-over", type: "button" }, "Take over"),
      h("p", { id: "monitor-error", class: "error", role: "alert" })));
  return section;
}

/** Mount a fresh monitor in `parent` (a new login starts clean) and connect it. */
export function startMonitor(parent: HTMLElement, token: string, me: string): ChatMonitor {
  parent.replaceChildren();
  append(parent, monitorSection());
  return new ChatMonitor(token, me);
}

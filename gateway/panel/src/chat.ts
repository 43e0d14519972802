// The agent's chats: one window per conversation with unread counts, the customer's typing, read receipts,
// quick texts (`/greet` then Enter), transfer with a note, End with a disposition, a help flag for the
// supervisors, and their whispers (over /agent-chat).
// Every text from the customer becomes a text node (h()), never HTML.

import { io, type Socket } from "socket.io-client";
import { append, byId, facts, h, setText } from "./dom";
import type { WrapUpValues } from "./wrapup";
import { formBusy, formError, wrapUpForm } from "./wrapup";

export interface ChatMessage {
  conversation_id: string;
  seq: number;
  sender: string;
  author_name: string;
  text: string;
  client_id: string | null;
  visibility: string;
}

interface Conversation {
  id: string;
  visitor_name: string;
  form: Record<string, string>;
  interaction_id: string;
  state: string;
  help?: boolean;
  read_by_customer?: number; // the customer has read the agent's messages up to this seq
  read_by_agent?: number; // the agent has read the customer's messages up to this seq
}

interface Ack {
  ok: boolean;
  message?: string;
  [key: string]: unknown;
}

interface Window {
  conversation: Conversation;
  messages: Map<number, ChatMessage>;
  unread: number;
  ended: boolean;
  tab: HTMLButtonElement;
  element: HTMLElement;
  log: HTMLOListElement;
  typing: HTMLElement;
  error: HTMLElement;
  customerRead: number;
  agentRead: number;
}

export class ChatDesk {
  private readonly socket: Socket;
  private readonly windows = new Map<string, Window>();
  private active: string | null = null;

  /** `ending(interactionId)`: the End with its disposition is on its way (no after-call form needed). */
  constructor(token: string, private readonly ending: (interactionId: string) => void) {
    this.socket = io("/agent-chat", { path: "/socket.io", auth: { token }, transports: ["websocket", "polling"] });
    const s = this.socket;
    // a gateway shutting down closes the socket itself, which the client does not retry on its own
    s.on("disconnect", (reason) => { if (reason === "io server disconnect") setTimeout(() => s.connect(), 1000); });
    // windows (and tabs) in the server's order, the first one shown, before their histories arrive in any order
    s.on("chats", (d: { chats: Conversation[] }) => d.chats.forEach((c) => { this.open(c, []); void this.catchUp(c); }));
    s.on("chat", (d: { conversation: Conversation; messages: ChatMessage[] }) => this.open(d.conversation, d.messages));
    s.on("message", (m: ChatMessage) => this.add(m.conversation_id, [m]));
    s.on("typing", (t: { conversation_id: string; typing: boolean }) => {
      const w = this.windows.get(t.conversation_id);
      if (w) w.typing.hidden = !t.typing;
    });
    s.on("read", (r: { conversation_id: string; seq: number }) => {
      const w = this.windows.get(r.conversation_id);
      if (w) { w.customerRead = Math.max(w.customerRead, r.seq); this.renderLog(w); }
    });
    s.on("ended", (e: { conversation_id: string; ended_by: string }) => this.closeWindow(e.conversation_id, `Ended by the ${e.ended_by}.`));
    s.on("chat_closed", (e: { conversation_id: string; reason: string; by?: string }) =>
      this.closeWindow(e.conversation_id, e.reason === "taken_over" ? `Taken over by ${e.by ?? "a supervisor"}.` : "Transferred."));
  }

  close(): void {
    this.socket.close();
  }

  private async call(event: string, data: object): Promise<Ack> {
    return (await this.socket.timeout(15000).emitWithAck(event, data)) as Ack;
  }

  private async catchUp(conversation: Conversation): Promise<void> {
    const known = this.windows.get(conversation.id);
    const after = known ? Math.max(0, ...known.messages.keys()) : 0;
    const got = await this.call("history", { conversation_id: conversation.id, after });
    if (got.ok) this.open(got["conversation"] as Conversation, got["messages"] as ChatMessage[]);
  }

  private open(conversation: Conversation, messages: ChatMessage[]): void {
    let w = this.windows.get(conversation.id);
    if (!w) {
      w = this.window(conversation);
      this.windows.set(conversation.id, w);
      append(byId("chat-tabs"), w.tab);
      append(byId("chat-windows"), w.element);
      if (this.active === null) this.show(conversation.id);
    }
    w.customerRead = Math.max(w.customerRead, conversation.read_by_customer ?? 0);
    this.add(conversation.id, messages);
    byId("chats").hidden = false;
  }

  private window(conversation: Conversation): Window {
    const id = conversation.id;
    const tab = h("button", { type: "button", class: "chat-tab", "data-conversation-id": id }, conversation.visitor_name);
    tab.addEventListener("click", () => this.show(id));
    const log = h("ol", { class: "chat-log", "aria-live": "polite" });
    const typing = h("p", { class: "hint chat-typing", hidden: true }, "The customer is typing…");
    const error = h("p", { class: "error", role: "alert" });
    const element = h(
      "article",
      { class: "chat-window", "data-conversation-id": id, hidden: true },
      h("h3", {}, h("span", { class: "customer-name" }, conversation.visitor_name)),
      facts(Object.entries(conversation.form)),
      log,
      typing,
      this.composer(id),
      this.actions(id, conversation.interaction_id, conversation.help === true),
      error,
    );
    const agentRead = conversation.read_by_agent ?? 0;
    return { conversation, messages: new Map(), unread: 0, ended: false, tab, element, log, typing, error, customerRead: 0, agentRead };
  }

  private composer(id: string): HTMLFormElement {
    const input = h("textarea", { class: "chat-input", rows: 2, maxlength: 20000, placeholder: "Message, or /shortcut" });
    const form = h("form", { class: "chat-composer" }, input, h("button", { type: "submit" }, "Send"));
    let typing = false;
    const setTyping = (now: boolean): void => {
      if (now !== typing) { typing = now; void this.call("typing", { conversation_id: id, typing: now }); }
    };
    const submit = async (): Promise<void> => {
      const text = input.value;
      if (!text.trim()) return;
      const shortcut = /^\/([A-Za-z0-9_.-]+)$/.exec(text.trim());
      if (!shortcut) { input.value = ""; setTyping(false); } // the next message may be typed at once
      const got = shortcut
        ? await this.call("quick_text", { conversation_id: id, shortcut: shortcut[1] })
        : await this.call("send", { conversation_id: id, client_id: crypto.randomUUID(), text });
      const w = this.windows.get(id);
      if (!got.ok) {
        if (w) setText(w.error, got.message ?? "failed");
        if (!shortcut && !input.value) input.value = text; // give it back to be fixed
        return;
      }
      if (w) setText(w.error, "");
      if (shortcut) input.value = String(got["text"]); // a quick text is filled in for a last look
      else this.add(id, [got["stored"] as ChatMessage]);
    };
    form.addEventListener("submit", (event) => { event.preventDefault(); void submit(); });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); void submit(); }
    });
    input.addEventListener("input", () => setTyping(input.value.length > 0));
    return form;
  }

  private actions(id: string, interactionId: string, helpRaised: boolean): HTMLElement {
    const target = h("input", { name: "to", placeholder: "queue:web-chat or agent:bob", required: true, "aria-label": "Transfer to" });
    const note = h("input", { name: "note", placeholder: "Note for the next agent", "aria-label": "Transfer note" });
    const transfer = h("form", { class: "chat-transfer" }, target, note, h("button", { type: "submit" }, "Transfer"));
    transfer.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.call("transfer", { conversation_id: id, to: target.value.trim(), note: note.value }).then((got) => {
        const w = this.windows.get(id);
        if (!got.ok && w) setText(w.error, got.message ?? "transfer failed");
      });
    });
    const end = h("button", { type: "button", class: "chat-end" }, "End chat");
    const help = h("button", { type: "button", class: "chat-help", "aria-pressed": String(helpRaised) }, helpRaised ? "Lower help flag" : "Ask for help");
    help.addEventListener("click", () => {
      const on = help.getAttribute("aria-pressed") !== "true";
      void this.call("help", { conversation_id: id, on }).then((got) => {
        const w = this.windows.get(id);
        if (!got.ok) { if (w) setText(w.error, got.message ?? "help flag failed"); return; }
        help.setAttribute("aria-pressed", String(on));
        setText(help, on ? "Lower help flag" : "Ask for help");
      });
    });
    const box = h("div", { class: "chat-actions" }, transfer, help, end);
    end.addEventListener("click", () => {
      end.disabled = true;
      const form = wrapUpForm("End and wrap up", (values: WrapUpValues, f) => {
        formBusy(f);
        this.ending(interactionId);
        void this.call("end", { conversation_id: id, ...values }).then((got) => { if (!got.ok) formError(f, got.message ?? "failed"); });
      }, () => { form.remove(); end.disabled = false; });
      append(box, form);
    });
    return box;
  }

  private add(id: string, messages: ChatMessage[]): void {
    const w = this.windows.get(id);
    if (!w) return;
    let fresh = 0;
    for (const m of messages) {
      if (!w.messages.has(m.seq) && m.sender === "customer" && m.seq > w.agentRead) fresh += 1;
      w.messages.set(m.seq, m);
    }
    if (this.active === id && document.visibilityState === "visible") this.markRead(w);
    else w.unread += fresh;
    this.renderTab(w);
    this.renderLog(w);
  }

  private markRead(w: Window): void {
    w.unread = 0;
    const last = Math.max(0, ...[...w.messages.values()].filter((m) => m.sender === "customer").map((m) => m.seq));
    w.agentRead = Math.max(w.agentRead, last);
    if (last > 0 && !w.ended) void this.call("read", { conversation_id: w.conversation.id, seq: last });
  }

  private show(id: string): void {
    this.active = id;
    for (const [other, w] of this.windows) {
      w.element.hidden = other !== id;
      w.tab.classList.toggle("active", other === id);
      if (other === id) { this.markRead(w); this.renderTab(w); }
    }
  }

  private renderTab(w: Window): void {
    const badge = w.unread > 0 ? h("span", { class: "unread", "aria-label": `${w.unread} unread` }, String(w.unread)) : null;
    w.tab.replaceChildren(w.conversation.visitor_name, ...(badge ? [" ", badge] : []), w.ended ? " (ended)" : "");
  }

  private renderLog(w: Window): void {
    const ordered = [...w.messages.values()].sort((a, b) => a.seq - b.seq);
    w.log.replaceChildren(...ordered.map((m) => h(
      "li",
      { class: `chat-message ${m.sender}${m.visibility === "agents" ? " whisper" : ""}`, "data-seq": m.seq },
      h("span", { class: "who" }, m.author_name),
      h("span", { class: "text" }, m.text),
      m.sender === "agent" && m.seq <= w.customerRead ? h("span", { class: "read" }, "Read") : null,
    )));
    w.log.scrollTop = w.log.scrollHeight;
  }

  private closeWindow(id: string, why: string): void {
    const w = this.windows.get(id);
    if (!w) return;
    w.ended = true;
    w.typing.hidden = true;
    for (const control of Array.from(w.element.querySelectorAll<HTMLButtonElement | HTMLInputElement | HTMLTextAreaElement>(".chat-composer *, .chat-transfer *, .chat-end, .chat-help"))) control.disabled = true;
    append(w.element, h("p", { class: "hint chat-over" }, why));
    const dismiss = h("button", { type: "button", class: "quiet" }, "Close window");
    dismiss.addEventListener("click", () => {
      w.element.remove();
      w.tab.remove();
      this.windows.delete(id);
      if (this.active === id) { this.active = null; const next = this.windows.keys().next(); if (!next.done) this.show(next.value); }
      byId("chats").hidden = this.windows.size === 0;
    });
    append(w.element, dismiss);
    this.renderTab(w);
  }
}

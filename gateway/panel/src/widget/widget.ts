// The customer's chat widget: one <script src=".../chat/widget.js" data-entry="website"> on any site.
// Everything the server or the customer wrote becomes text nodes (h() from ../dom), never HTML.

import { io, type Socket } from "socket.io-client";
import { append, h } from "../dom";
import { widgetStyle } from "./style";

interface Field { name: string; label: string; required: boolean; max_length: number; kind: string; }
interface Form { ok: boolean; title: string; open: boolean; busy?: boolean; max_message_length: number; fields: Field[]; topics: Record<string, string>; }
interface Message { seq: number; sender: string; author_name: string; text: string; client_id: string | null; at: number; }
interface Conversation { id: string; state: string; agent_name: string | null; position: number | null; wait_seconds: number | null; read_by_agent?: number; }
interface Ack { ok: boolean; message?: string; error_id?: string; }
type Answer = Ack & Record<string, unknown>;

const script = document.currentScript as HTMLScriptElement | null;
const server = script ? new URL(script.src).origin : location.origin;
const entry = script?.dataset["entry"] ?? "website";
const storageKey = `helpline-chat:${server}:${entry}`;

class Widget {
  private socket: Socket | null = null;
  private token: string | null = localStorage.getItem(storageKey);
  private readonly messages = new Map<number, Message>();
  private readonly pending = new Map<string, string>(); // client id -> text, until stored
  private maxLength = 2000;
  private readSeq = 0; // the agent has read up to here
  private typingSent = false;
  private readonly root: ShadowRoot;
  private readonly panel = h("section", { class: "panel", hidden: true, role: "dialog", "aria-label": "Chat" });
  private readonly header = h("header", {}, "Chat");
  private readonly status = h("p", { class: "status", "data-testid": "chat-status" });
  private readonly log = h("ol", { class: "log", "data-testid": "chat-log", "aria-live": "polite" });
  private readonly typing = h("p", { class: "typing", hidden: true, "data-testid": "chat-typing" }, "The agent is typing…");
  private readonly error = h("p", { class: "error", role: "alert", "data-testid": "chat-error" });
  private readonly body = h("div", { class: "body" });

  constructor() {
    const host = h("div", { id: "helpline-chat" });
    document.body.appendChild(host);
    this.root = host.attachShadow({ mode: "open" });
    const button = h("button", { class: "launcher", type: "button", "data-testid": "chat-open" }, "Chat with us");
    button.addEventListener("click", () => this.toggle());
    append(this.root, h("style", {}, widgetStyle), button, this.panel);
    append(this.panel, this.header, this.status, this.log, this.typing, this.error, this.body);
    if (this.token) this.toggle();
  }

  private toggle(): void {
    this.panel.hidden = !this.panel.hidden;
    if (!this.panel.hidden && this.socket === null) this.connect();
  }

  private connect(): void {
    this.socket = io(`${server}/chat`, {
      auth: (cb) => cb(this.token ? { token: this.token } : {}),
      transports: ["websocket"],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    const s = this.socket;
    s.on("connect", () => void this.onConnect());
    // a gateway shutting down closes the socket itself, which the client does not retry on its own
    s.on("disconnect", (reason) => { if (reason === "io server disconnect") setTimeout(() => s.connect(), 1000); });
    s.on("connect_error", (err: Error) => this.onRefused(err));
    s.on("message", (m: Message) => this.add([m]));
    s.on("position", (p: { position: number; wait_seconds: number }) => this.showPosition(p.position, p.wait_seconds));
    s.on("agent_joined", (j: { agent_name: string }) => this.setAgent(j.agent_name));
    s.on("typing", (t: { typing: boolean }) => { this.typing.hidden = !t.typing; });
    s.on("read", (r: { seq: number }) => { this.readSeq = Math.max(this.readSeq, r.seq); this.render(); });
    s.on("ended", () => this.showEnded());
  }

  private onRefused(err: Error): void {
    if (this.token && /namespace|bad_visitor_token/.test(err.message)) {
      localStorage.removeItem(storageKey); // expired or from an older server: start again
      this.token = null;
    }
  }

  private async call(event: string, data: object = {}): Promise<Answer> {
    const s = this.socket;
    if (s === null) return { ok: false, message: "not connected" };
    return (await s.timeout(15000).emitWithAck(event, data)) as Answer;
  }

  private async onConnect(): Promise<void> {
    if (!this.token) return this.showForm();
    const last = Math.max(0, ...this.messages.keys());
    const resumed = await this.call("resume", { after: last });
    if (!resumed.ok) return this.fail(resumed);
    const conversation = resumed["conversation"] as Conversation;
    this.readSeq = Math.max(this.readSeq, conversation.read_by_agent ?? 0); // read before a reload
    this.showConversation(conversation);
    this.add(resumed["messages"] as Message[]);
    for (const [clientId, text] of this.pending) void this.send(text, clientId); // idempotent resend
  }

  /** The pre-chat form, or the offline message's when closed or every agent is busy; `filled`: what the
   * customer had typed, kept when a full queue turned their chat into a message. */
  private async showForm(filled: Record<string, string> = {}): Promise<void> {
    const form = (await this.call("form", { entry })) as unknown as Form & Ack;
    if (!form.ok) return this.fail(form);
    this.maxLength = form.max_message_length;
    this.header.textContent = form.title;
    this.status.textContent = form.open
      ? "Tell us who you are and an agent will join you."
      : form.busy ? "All our agents are busy: leave us a message and we will get back to you." : "We are closed: leave us a message.";
    const element = h("form", { class: "prechat", "data-testid": "chat-form", novalidate: true });
    for (const field of form.fields) element.appendChild(this.fieldInput(field, form.topics));
    if (!form.open) element.appendChild(h("label", {}, "Message", h("textarea", { name: "offline_message", required: true })));
    element.appendChild(h("button", { type: "submit" }, form.open ? "Start chat" : "Send message"));
    element.addEventListener("submit", (event) => { event.preventDefault(); void this.submit(element); });
    for (const [name, value] of Object.entries(filled)) {
      const input = element.elements.namedItem(name);
      if (input instanceof HTMLInputElement || input instanceof HTMLSelectElement) input.value = value;
    }
    this.body.replaceChildren(element);
  }

  private fieldInput(field: Field, topics: Record<string, string>): HTMLElement {
    const attrs = { name: field.name, required: field.required, maxlength: field.max_length };
    if (field.kind === "topic") {
      const select = h("select", attrs, h("option", { value: "" }, "Choose…"));
      for (const [value, label] of Object.entries(topics)) select.appendChild(h("option", { value }, label));
      return h("label", {}, field.label, select);
    }
    const type = field.kind === "email" ? "email" : field.kind === "tel" ? "tel" : "text";
    return h("label", {}, field.label, h("input", { ...attrs, type }));
  }

  private async submit(element: HTMLFormElement): Promise<void> {
    const values: Record<string, string> = {};
    new FormData(element).forEach((value, key) => { if (typeof value === "string") values[key] = value; });
    const offline = values["offline_message"];
    delete values["offline_message"];
    const opened = await this.call("open", { entry, form: values, offline_message: offline });
    if (!opened.ok && opened.error_id === "queue_full") {
      this.error.textContent = "";
      return this.showForm(values); // filled up since the form was shown: a message instead
    }
    if (!opened.ok) return this.fail(opened);
    this.error.textContent = "";
    if (opened["offline"]) {
      const said = opened["case_id"] ? "Thank you: your message was received and a case was opened." : "Thank you: your message was received.";
      this.body.replaceChildren(h("p", { "data-testid": "chat-offline" }, said));
      return;
    }
    this.token = opened["token"] as string;
    localStorage.setItem(storageKey, this.token);
    this.showConversation(opened["conversation"] as Conversation);
  }

  private showConversation(conversation: Conversation): void {
    if (conversation.state === "ended") return this.showEnded();
    if (conversation.agent_name) this.setAgent(conversation.agent_name);
    else this.showPosition(conversation.position, conversation.wait_seconds);
    const input = h("textarea", { "data-testid": "chat-input", maxlength: this.maxLength, rows: 2, "aria-label": "Your message" });
    const send = h("button", { type: "submit", "data-testid": "chat-send" }, "Send");
    const end = h("button", { type: "button", class: "end", "data-testid": "chat-end" }, "End chat");
    const composer = h("form", { class: "composer" }, input, send, end);
    composer.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!input.value.trim()) return;
      void this.send(input.value, crypto.randomUUID());
      input.value = "";
      this.setTyping(false);
    });
    input.addEventListener("input", () => this.setTyping(input.value.length > 0));
    end.addEventListener("click", () => void this.call("end"));
    this.body.replaceChildren(composer);
  }

  private setTyping(typing: boolean): void {
    if (typing === this.typingSent) return;
    this.typingSent = typing;
    void this.call("typing", { typing });
  }

  private async send(text: string, clientId: string): Promise<void> {
    this.pending.set(clientId, text);
    const sent = await this.call("send", { text, client_id: clientId });
    if (sent.ok) {
      this.pending.delete(clientId);
      this.add([sent["stored"] as Message]);
    } else if (sent.error_id) {
      this.pending.delete(clientId); // refused: resending would be refused again
      this.fail(sent);
    }
  }

  private add(messages: Message[]): void {
    for (const m of messages) this.messages.set(m.seq, m);
    this.render();
    const agentSeq = Math.max(0, ...[...this.messages.values()].filter((m) => m.sender === "agent").map((m) => m.seq));
    if (agentSeq > 0 && document.visibilityState === "visible") void this.call("read", { seq: agentSeq });
  }

  private render(): void {
    const ordered = [...this.messages.values()].sort((a, b) => a.seq - b.seq);
    this.log.replaceChildren(...ordered.map((m) => h(
      "li",
      { class: `msg ${m.sender}`, "data-seq": m.seq, "data-testid": "chat-message" },
      h("span", { class: "who" }, m.author_name),
      h("span", { class: "text" }, m.text),
      m.sender === "customer" && m.seq <= this.readSeq ? h("span", { class: "read", "data-testid": "chat-read" }, "Read") : null,
    )));
    this.log.scrollTop = this.log.scrollHeight;
  }

  private setAgent(name: string): void {
    this.header.textContent = name;
    this.status.textContent = `You are chatting with ${name}.`;
  }

  private showPosition(position: number | null, seconds: number | null): void {
    if (position === null) { this.status.textContent = "Waiting for an agent…"; return; }
    const minutes = Math.max(1, Math.round((seconds ?? 0) / 60));
    this.status.textContent = `You are number ${position} in line (about ${minutes} min).`;
  }

  private showEnded(): void {
    this.status.textContent = "The chat has ended.";
    this.typing.hidden = true;
    localStorage.removeItem(storageKey);
    const download = h("button", { type: "button", "data-testid": "chat-transcript" }, "Download transcript");
    download.addEventListener("click", () => void this.downloadTranscript());
    const stars = h("div", { class: "rating", "data-testid": "chat-rating" }, "Rate this chat: ");
    for (let n = 1; n <= 5; n++) {
      const star = h("button", { type: "button", "aria-label": `${n} of 5` }, "★".repeat(n));
      star.addEventListener("click", async () => {
        const rated = await this.call("rate", { stars: n });
        stars.replaceChildren(rated.ok ? "Thank you for your rating." : (rated.message ?? "Rating failed"));
      });
      stars.appendChild(star);
    }
    this.body.replaceChildren(download, stars);
  }

  private async downloadTranscript(): Promise<void> {
    const got = await this.call("transcript");
    if (!got.ok) return this.fail(got);
    const url = URL.createObjectURL(new Blob([got["text"] as string], { type: "text/plain;charset=utf-8" }));
    const link = h("a", { href: url, download: "chat-transcript.txt" });
    this.root.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  private fail(ack: Ack): void {
    this.error.textContent = ack.message ?? "Something went wrong";
  }
}

new Widget();

// Active work: one row per assigned interaction with its call controls and End (which opens wrap-up).

import type { Api } from "./api";
import { messageOf } from "./api";
import { append, byId, h, setText } from "./dom";
import { customerName } from "./pop";
import type { Store, WorkItem } from "./store";
import { formBusy, formError, wrapUpForm } from "./wrapup";

type Target = "queue" | "agent" | "number";

interface Row {
  element: HTMLElement;
  hold: HTMLButtonElement | null;
  /** Voice only: "Connected" or "On hold". */
  callState: HTMLElement | null;
  /** Voice only: which supervisor is on the call, and how. */
  supervisor: HTMLElement | null;
}

const MONITOR_WORDS: Record<string, string> = {
  listen: "is listening",
  whisper: "is whispering to you",
  barge: "has joined the call",
};

function control(label: string, cls: string): HTMLButtonElement {
  return h("button", { type: "button", class: cls }, label);
}

export class WorkList {
  private readonly rows = new Map<string, Row>();

  constructor(
    private readonly store: Store,
    private readonly api: Api,
    private readonly queues: () => string[],
    private readonly agentId: () => string,
  ) {}

  render(): void {
    const list = byId("work-list");
    for (const [id, row] of this.rows) {
      if (!this.store.work.has(id)) {
        row.element.remove();
        this.rows.delete(id);
      }
    }
    for (const [id, item] of this.store.work) {
      let row = this.rows.get(id);
      if (!row) {
        row = this.row(item);
        this.rows.set(id, row);
        append(list, row.element);
      }
      if (row.hold) setText(row.hold, item.held ? "Resume" : "Hold");
      if (row.callState) setText(row.callState, item.held ? "On hold" : "Connected");
      row.element.classList.toggle("held", item.held);
      if (row.supervisor) {
        const s = item.supervisor;
        row.supervisor.hidden = !s;
        setText(row.supervisor, s ? `Supervisor ${s.name ?? s.id} ${MONITOR_WORDS[s.mode] ?? s.mode}` : "");
      }
    }
    byId("work-empty").hidden = this.store.work.size > 0;
  }

  private row(item: WorkItem): Row {
    const i = item.interaction;
    const error = h("p", { class: "error work-error", role: "alert" });
    const act = (path: string, body: unknown, done?: () => void): void => {
      setText(error, "");
      this.api
        .post(`/interactions/${encodeURIComponent(i.id)}/${path}`, body)
        .then(() => done?.())
        .catch((e: unknown) => setText(error, messageOf(e)));
    };
    const voice = i.channel === "voice";
    const hold = voice ? control("Hold", "hold") : null;
    hold?.addEventListener("click", () => {
      const held = this.store.work.get(i.id)?.held ?? false;
      act(held ? "resume" : "hold", {}, () => this.setHeld(i.id, !held));
    });
    const hangup = voice ? control("Hang up", "hangup") : null;
    hangup?.addEventListener("click", () => act("hangup", {}));
    // a web chat is ended from its chat window, which puts its transcript on the case
    const inChatWindow = i.channel === "chat" && typeof i.attributes?.conversation_id === "string";
    const end = inChatWindow ? null : control("End…", "end");
    const callState = voice ? h("span", { class: "call-state", role: "status" }, "Connected") : null;
    const supervisor = voice ? h("span", { class: "supervisor-on-call", role: "status", hidden: true }) : null;
    const element = h(
      "li",
      { class: "work-item", "data-interaction-id": i.id },
      h(
        "div",
        { class: "summary" },
        h("span", { class: `channel channel-${i.channel ?? "unknown"}` }, i.channel ?? "?"),
        h("span", { class: "customer-name" }, customerName(i, this.store.pop(i.id))),
        h("span", { class: "queue" }, i.queue ?? ""),
        callState,
        supervisor,
        i.answered_at ? h("span", { class: "elapsed", "data-elapsed-from": i.answered_at }) : null,
      ),
      h("div", { class: "controls" }, hold, voice ? this.transfer(act) : null, hangup, end),
      i.attributes?.kind === "voicemail" ? this.voicemail(i, error) : null,
      error,
    );
    end?.addEventListener("click", () => this.openWrapUp(element, i.id, end));
    return { element, hold, callState, supervisor };
  }

  /** A voicemail work item: play the message, and call the customer back (which ends the item). */
  private voicemail(i: WorkItem["interaction"], error: HTMLElement): HTMLElement {
    const url = String(i.attributes?.voicemail_url ?? "").replace(/^\/api\/v1/, "");
    const caller = String(i.attributes?.caller ?? "");
    const play = control("Play voicemail", "play-voicemail");
    const callBack = control(`Call back ${caller}`, "call-back");
    callBack.disabled = !caller;
    const box = h("div", { class: "voicemail" }, play, callBack);
    play.addEventListener("click", () => {
      play.disabled = true;
      this.api
        .blob(url)
        .then((file) => {
          const audio = h("audio", { controls: true, class: "voicemail-audio" });
          audio.src = URL.createObjectURL(file);
          play.replaceWith(audio);
          void audio.play().catch(() => undefined); // autoplay may be refused: the controls are there
        })
        .catch((e: unknown) => {
          play.disabled = false;
          setText(error, messageOf(e));
        });
    });
    callBack.addEventListener("click", () => {
      callBack.disabled = true;
      const item = this.store.work.get(i.id);
      if (item) item.ending = true; // its disposition goes with the End: no after-call form
      const me = encodeURIComponent(this.agentId());
      const customer = this.store.pop(i.id)?.customer?.id ?? null;
      this.api
        .post(`/interactions/${encodeURIComponent(i.id)}/end`, { reason: "completed", disposition: "called_back" })
        .then(() => this.api.call("PUT", `/agents/${me}/presence`, { state: "available", reason: null }))
        .then(() => this.api.post("/cti/dial", { number: caller, customer_id: customer }))
        .catch((e: unknown) => {
          callBack.disabled = false;
          if (item) item.ending = false;
          setText(error, messageOf(e));
        });
    });
    return box;
  }

  private transfer(act: (path: string, body: unknown) => void): HTMLElement {
    const kind = h(
      "select",
      { name: "kind", "aria-label": "Transfer to" },
      h("option", { value: "queue" }, "Queue"),
      h("option", { value: "agent" }, "Agent"),
      h("option", { value: "number" }, "Number"),
    );
    const listId = "transfer-queues";
    const target = h("input", { name: "target", list: listId, placeholder: "queue, agent id or number", required: true });
    const form = h("form", { class: "transfer" }, kind, target, h("button", { type: "submit" }, "Transfer"));
    if (!document.getElementById(listId)) {
      append(document.body, h("datalist", { id: listId }, ...this.queues().map((q) => h("option", { value: q }))));
    }
    kind.addEventListener("change", () => target.setAttribute("list", kind.value === "queue" ? listId : ""));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act("transfer", { to: { [kind.value as Target]: target.value.trim() } });
    });
    return form;
  }

  private setHeld(id: string, held: boolean): void {
    const item = this.store.work.get(id);
    if (item) item.held = held;
    this.store.changed();
  }

  private openWrapUp(row: HTMLElement, id: string, end: HTMLButtonElement): void {
    if (row.querySelector("form.wrap-up")) return;
    end.disabled = true;
    const close = (): void => {
      form.remove();
      end.disabled = false;
      const item = this.store.work.get(id);
      if (item) item.ending = false;
    };
    const form = wrapUpForm(
      "End and wrap up",
      (values, f) => {
        formBusy(f);
        const item = this.store.work.get(id);
        if (item) item.ending = true;
        this.api
          .post(`/interactions/${encodeURIComponent(id)}/end`, { reason: "completed", ...values })
          .catch((e: unknown) => {
            if (item) item.ending = false;
            formError(f, messageOf(e));
          });
      },
      close,
    );
    append(row, form);
    form.querySelector("select")?.focus();
  }
}

// Wrap-up for interactions that ended without the panel's End (hang-up, customer left): when the screen pop
// named a case, the disposition and notes go on the interaction's activity (POST /wrap-up, during the
// wrap-up) or, once its wrap-up is over and the activity logged, on the case itself.

import type { Api } from "./api";
import { ApiError, messageOf } from "./api";
import { append, byId, h } from "./dom";
import { customerName } from "./pop";
import type { Store } from "./store";
import type { WrapUpValues } from "./wrapup";
import { formBusy, formError, wrapUpForm } from "./wrapup";

export class AfterCall {
  private readonly cards = new Map<string, HTMLElement>();

  constructor(
    private readonly store: Store,
    private readonly api: Api,
  ) {}

  render(): void {
    const section = byId("wrap-ups");
    for (const [id, card] of this.cards) {
      if (!this.store.wrapUps.has(id)) {
        card.remove();
        this.cards.delete(id);
      }
    }
    for (const [id, interaction] of this.store.wrapUps) {
      if (this.cards.has(id)) continue;
      const card = this.card(id, customerName(interaction, this.store.pop(id)));
      this.cards.set(id, card);
      append(section, card);
    }
    section.hidden = this.store.wrapUps.size === 0;
  }

  private card(id: string, who: string): HTMLElement {
    const caseId = this.store.pop(id)?.case?.id ?? null;
    const done = (): void => {
      this.store.wrapUps.delete(id);
      this.store.changed();
    };
    let body: HTMLElement;
    if (caseId === null) {
      // Nobody's case to write on (an unknown customer): nothing to ask the agent.
      body = h("button", { type: "button", class: "dismiss" }, "Dismiss");
      body.addEventListener("click", done);
    } else {
      const save = (values: WrapUpValues): Promise<unknown> =>
        this.api.call("POST", `/interactions/${encodeURIComponent(id)}/wrap-up`, values).catch((e: unknown) => {
          const late = e instanceof ApiError && e.errorId === "not_in_wrap_up";
          if (!late) throw e;
          return this.api.call("PATCH", `/cases/${encodeURIComponent(caseId)}`, values);
        });
      body = wrapUpForm(
        "Save",
        (values, f) => {
          formBusy(f);
          save(values)
            .then(done)
            .catch((e: unknown) => formError(f, messageOf(e)));
        },
        done,
      );
    }
    return h(
      "article",
      { class: "after-call", "data-interaction-id": id },
      h("h3", {}, "Ended: ", h("span", { class: "customer-name" }, who)),
      h("p", { class: "hint" }, caseId ? `Case ${caseId}` : "No case is known for this interaction."),
      body,
    );
  }
}

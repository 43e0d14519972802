// Offer cards: the screen pop, a countdown to the offer deadline, Accept and Reject.

import { append, byId, h, setText } from "./dom";
import { customerName, popDetails } from "./pop";
import type { Offer } from "./types";
import type { Ack } from "./live";

export interface OfferActions {
  answer(kind: "accept" | "reject", interactionId: string): Promise<Ack>;
}

function card(offer: Offer, actions: OfferActions): HTMLElement {
  const i = offer.interaction;
  const error = h("p", { class: "error", role: "alert" });
  const accept = h("button", { type: "button", class: "accept" }, "Accept");
  const reject = h("button", { type: "button", class: "reject" }, "Reject");
  const answer = async (kind: "accept" | "reject"): Promise<void> => {
    accept.disabled = reject.disabled = true;
    const ack = await actions.answer(kind, i.id);
    if (!ack.ok) {
      setText(error, ack.message ?? `could not ${kind} the offer`);
      accept.disabled = reject.disabled = false;
    }
  };
  accept.addEventListener("click", () => void answer("accept"));
  reject.addEventListener("click", () => void answer("reject"));
  return h(
    "article",
    { class: "offer", "data-interaction-id": i.id, "data-pop": popLevel(offer), "aria-label": "Incoming offer" },
    h(
      "header",
      {},
      h("span", { class: `channel channel-${i.channel ?? "unknown"}` }, i.channel ?? "?"),
      h("span", { class: "queue" }, i.queue ?? ""),
      offer.deadline === null
        ? null
        : h("span", { class: "countdown", "data-countdown-to": offer.deadline, title: "time left to answer" }),
    ),
    h("h3", { class: "customer-name" }, customerName(i, offer.pop)),
    popDetails(i, offer.pop),
    h("div", { class: "actions" }, accept, reject),
    error,
  );
}

/** "0": no pop yet, "1": the pop was sent before the CRM answered, "2": the CRM's answer is in, "3": and
 * the case it was filed under (filing may finish after the offer went out). */
function popLevel(offer: Offer): string {
  if (!offer.pop) return "0";
  if (offer.pop.crm_unavailable) return "1";
  return offer.pop.case?.id ? "3" : "2";
}

/** Keeps one card per offer; a card is built once so its buttons keep their state while it rings. */
export function renderOffers(offers: Map<string, Offer>, actions: OfferActions): void {
  const section = byId("offers");
  const shown = new Map<string, Element>();
  for (const element of Array.from(section.querySelectorAll(".offer"))) {
    const id = element.getAttribute("data-interaction-id") ?? "";
    const offer = offers.get(id);
    // A card gives way to the same offer with a fuller pop: none, then what was known, then the CRM's answer.
    if (offer && popLevel(offer) <= (element.getAttribute("data-pop") ?? "0")) shown.set(id, element);
    else element.remove();
  }
  for (const [id, offer] of offers) {
    if (!shown.has(id)) append(section, card(offer, actions));
  }
  section.hidden = offers.size === 0;
}

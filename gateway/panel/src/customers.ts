// Customer search, the customer card and click-to-dial (POST /api/v1/cti/dial).

import type { Api } from "./api";
import { messageOf } from "./api";
import { append, byId, facts, h, setText } from "./dom";
import type { Customer, CustomerDetail } from "./types";

function searchPath(text: string): string {
  const value = encodeURIComponent(text);
  if (text.includes("@")) return `/customers?email=${value}`;
  if (/^\+?[\d\s().-]{5,}$/.test(text)) return `/customers?phone=${value}`;
  return `/customers?q=${value}`;
}

export class Customers {
  constructor(private readonly api: Api) {}

  setup(): void {
    const form = byId<HTMLFormElement>("customer-search");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = (new FormData(form).get("q") ?? "").toString().trim();
      if (text) void this.search(text);
    });
  }

  private async search(text: string): Promise<void> {
    const results = byId("customer-results");
    const status = byId("customer-status");
    setText(status, "Searching…");
    results.replaceChildren();
    try {
      const { items } = await this.api.get<{ items: Customer[] }>(searchPath(text));
      setText(status, items.length ? "" : "No customer found.");
      for (const c of items) {
        const button = h("button", { type: "button", class: "customer-result" }, c.name);
        button.addEventListener("click", () => void this.open(c.id));
        append(results, h("li", {}, button, " ", [c.company, c.phone ?? c.email].filter(Boolean).join(" · ")));
      }
    } catch (error) {
      setText(status, messageOf(error));
    }
  }

  private async open(id: string): Promise<void> {
    const card = byId("customer-card");
    try {
      card.replaceChildren(this.card(await this.api.get<CustomerDetail>(`/customers/${encodeURIComponent(id)}`)));
    } catch (error) {
      card.replaceChildren(h("p", { class: "error", role: "alert" }, messageOf(error)));
    }
  }

  private card(c: CustomerDetail): HTMLElement {
    const active = c.entitlements.filter((e) => e.active).map((e) => e.level);
    const status = h("p", { class: "dial-status", role: "status" });
    const dial = h("button", { type: "button", class: "dial", disabled: !c.phone }, "Dial");
    dial.addEventListener("click", () => {
      setText(status, "Dialling…");
      this.api
        .post("/cti/dial", { number: c.phone, customer_id: c.id })
        .then(() => setText(status, `Dialling ${c.phone ?? ""}: your phone rings first.`))
        .catch((error: unknown) => setText(status, messageOf(error)));
    });
    const cases = h("ul", { class: "open-cases" });
    for (const k of c.open_cases) append(cases, h("li", {}, `${k.subject} · ${k.status} · ${k.id}`));
    return h(
      "article",
      { class: "customer", "data-customer-id": c.id },
      h("h3", { class: "customer-name" }, c.name),
      facts([
        ["Company", c.company],
        ["Account", c.account_number],
        ["Phone", c.phone],
        ["E-mail", c.email],
        ["Entitlement", active.length ? active.join(", ") : "none active"],
      ]),
      c.open_cases.length ? h("h4", {}, `Open cases (${c.open_cases.length})`) : null,
      c.open_cases.length ? cases : null,
      h("div", { class: "actions" }, dial),
      status,
    );
  }
}

// The screen pop as the agent reads it: from the CTI pop when there is one, else from the attributes.

import { duration } from "./clock";
import { append, facts, h } from "./dom";
import type { Interaction, Scalar, ScreenPop } from "./types";

const NAME_KEYS = ["name", "customer.name", "customer_name"];
const PHONE_KEYS = ["caller", "phone", "customer.phone"];

function attribute(interaction: Interaction, keys: string[]): string | null {
  for (const key of keys) {
    const value = interaction.attributes?.[key];
    if (value !== undefined && value !== "") return String(value);
  }
  return null;
}

export function customerName(interaction: Interaction, pop: ScreenPop | null): string {
  return (
    pop?.customer?.name ??
    attribute(interaction, NAME_KEYS) ??
    pop?.caller ??
    attribute(interaction, PHONE_KEYS) ??
    interaction.customer_ref ??
    "Unknown customer"
  );
}

function entitlement(pop: ScreenPop): string {
  const e = pop.entitlement;
  if (!e) return pop.entitled ? "entitled" : "none";
  const until = e.ends ? ` until ${e.ends}` : "";
  const products = e.products?.length ? ` (${e.products.join(", ")})` : "";
  return `${e.level}${products}${until}`;
}

function caseLine(pop: ScreenPop): string | null {
  if (!pop.case) return null;
  const id = pop.case.id ?? (pop.case.pending ? "pending" : "not confirmed yet");
  return `${pop.case.subject} (${id})`;
}

function inputs(values: Record<string, Scalar>): HTMLElement | null {
  const pairs = Object.entries(values).map(([k, v]): [string, string] => [k, String(v)]);
  if (pairs.length === 0) return null;
  return h("section", { class: "inputs" }, h("h4", {}, "Customer input"), facts(pairs));
}

function openCases(pop: ScreenPop): HTMLElement | null {
  const cases = pop.open_cases ?? [];
  if (cases.length === 0) return null;
  const list = h("ul", { class: "open-cases" });
  for (const c of cases) append(list, h("li", {}, `${c.subject} · ${c.status} · ${c.id}`));
  return h("section", {}, h("h4", {}, `Open cases (${cases.length})`), list);
}

/** The body of an offer card: who, entitlement, cases, what they entered, how long they waited. */
export function popDetails(interaction: Interaction, pop: ScreenPop | null): HTMLElement {
  const body = h("div", { class: "pop" });
  if (pop === null) {
    append(body, inputs(interaction.attributes ?? {}));
    return body;
  }
  const customer = pop.customer;
  const entitled = h("dd", { class: pop.entitled ? "entitled" : "not-entitled" }, entitlement(pop));
  const list = facts([
    ["Company", customer?.company],
    ["Account", customer?.account_number],
    ["Phone", customer?.phone ?? pop.caller],
    ["E-mail", customer?.email],
    ["Reason", pop.intent],
    ["Waited", pop.wait_seconds === null || pop.wait_seconds === undefined ? null : duration(pop.wait_seconds)],
    ["Case", caseLine(pop)],
  ]);
  append(list, h("dt", {}, "Entitlement"), entitled);
  append(
    body,
    pop.notice || pop.crm_unavailable
      ? h("p", { class: "notice", role: "status" }, pop.notice ?? "The CRM is unavailable: showing what is known.")
      : null,
    customer && (customer.other_matches ?? 0) > 0
      ? h("p", { class: "notice" }, `${customer.other_matches} other customers match this ${customer.matched_by}`)
      : null,
    list,
    openCases(pop),
    inputs(pop.ivr ?? {}),
  );
  return body;
}

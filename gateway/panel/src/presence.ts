// The header's presence control: available / not ready with a reason / offline, and time in state.

import type { Api } from "./api";
import { messageOf } from "./api";
import { byId, h, setText } from "./dom";
import type { Presence } from "./types";

export const REASONS = ["break", "lunch", "training", "meeting"] as const;

const LABELS: Record<string, string> = {
  available: "Available",
  not_ready: "Not ready",
  wrap_up: "Wrap-up",
  offline: "Offline",
};

export function presenceLabel(p: Presence): string {
  const base = LABELS[p.state] ?? p.state;
  return p.state === "not_ready" && p.reason ? `${base} · ${p.reason}` : base;
}

function optionValue(p: Presence): string {
  if (p.state === "not_ready") return REASONS.includes(p.reason as never) ? `not_ready:${p.reason}` : "";
  return p.state === "available" || p.state === "offline" ? p.state : "";
}

/** Fills the selector once and sends the agent's choice; the server's answer comes back as an event. */
export function setupPresence(api: Api, agentId: () => string, onError: (message: string) => void): void {
  const select = byId<HTMLSelectElement>("presence-select");
  select.replaceChildren(
    h("option", { value: "", disabled: true }, "Change state…"),
    h("option", { value: "available" }, "Available"),
    ...REASONS.map((r) => h("option", { value: `not_ready:${r}` }, `Not ready · ${r}`)),
    h("option", { value: "offline" }, "Offline"),
  );
  select.addEventListener("change", () => {
    const [state, reason] = select.value.split(":");
    void api
      .call("PUT", `/agents/${encodeURIComponent(agentId())}/presence`, { state, reason: reason ?? null })
      .catch((error: unknown) => onError(messageOf(error)));
  });
}

export function renderPresence(p: Presence): void {
  const label = byId("presence-state");
  setText(label, presenceLabel(p));
  label.dataset["state"] = p.state;
  const timer = byId("presence-timer");
  if (p.since === null) timer.removeAttribute("data-elapsed-from");
  else timer.setAttribute("data-elapsed-from", String(p.since));
  const left = byId("wrap-up-left");
  if (p.state === "wrap_up" && p.until !== null) left.setAttribute("data-countdown-to", String(p.until));
  else left.removeAttribute("data-countdown-to");
  left.hidden = p.state !== "wrap_up";
  byId<HTMLSelectElement>("presence-select").value = optionValue(p);
}

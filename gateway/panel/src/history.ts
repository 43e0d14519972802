// Today's interactions of this agent, newest first (GET /api/v1/interactions).

import type { Api } from "./api";
import { messageOf } from "./api";
import { clockTime, duration, startOfToday } from "./clock";
import { byId, h, setText } from "./dom";
import { customerName } from "./pop";
import type { Interaction } from "./types";

function handled(i: Interaction): string {
  if (i.answered_at && i.ended_at) return duration(i.ended_at - i.answered_at);
  return "";
}

function row(i: Interaction, name: string | null): HTMLTableRowElement {
  return h(
    "tr",
    { "data-interaction-id": i.id },
    h("td", {}, clockTime(i.created_at)),
    h("td", {}, i.channel ?? ""),
    h("td", {}, i.queue ?? ""),
    h("td", { class: "customer-name" }, name ?? customerName(i, null)),
    h("td", {}, i.outcome ?? i.state ?? ""),
    h("td", {}, handled(i)),
  );
}

export async function refreshHistory(api: Api, names: (id: string) => string | null): Promise<void> {
  const status = byId("history-status");
  try {
    const { items } = await api.get<{ items: Interaction[] }>("/interactions?limit=500");
    const today = startOfToday();
    const rows = items
      .filter((i) => (i.created_at ?? 0) >= today)
      .sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0))
      .map((i) => row(i, names(i.id)));
    byId("history-rows").replaceChildren(...rows);
    setText(status, rows.length ? "" : "Nothing yet today.");
  } catch (error) {
    setText(status, messageOf(error));
  }
}

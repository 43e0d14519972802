// Today's interactions of this agent, newest first (GET /api/v1/interactions); a call's transcript, once
// stored, opens under its row (GET /api/v1/interactions/{id}/transcript, the link on the case activity).

import { ApiError, type Api } from "./api";
import { messageOf } from "./api";
import { clockTime, duration, startOfToday } from "./clock";
import { byId, h, setText } from "./dom";
import { customerName } from "./pop";
import type { Interaction } from "./types";

function handled(i: Interaction): string {
  if (i.answered_at && i.ended_at) return duration(i.ended_at - i.answered_at);
  return "";
}

interface Turn {
  speaker: string;
  text: string;
}

// Transcripts opened, by interaction id: kept across the list's refreshes.
const opened = new Map<string, HTMLTableRowElement>();

function row(api: Api, i: Interaction, name: string | null): HTMLTableRowElement {
  return h(
    "tr",
    { "data-interaction-id": i.id },
    h("td", {}, clockTime(i.created_at)),
    h("td", {}, i.channel ?? ""),
    h("td", {}, i.queue ?? ""),
    h("td", { class: "customer-name" }, name ?? customerName(i, null)),
    h("td", {}, i.outcome ?? i.state ?? ""),
    h("td", {}, handled(i)),
    transcriptCell(api, i),
  );
}

function transcriptCell(api: Api, i: Interaction): HTMLTableCellElement {
  if (i.channel !== "voice" || !i.answered_at || !i.ended_at) return h("td");
  const button = h("button", { type: "button", class: "quiet" }, "Transcript");
  button.addEventListener("click", () => void toggle(api, i.id, button));
  return h("td", {}, button);
}

async function toggle(api: Api, id: string, button: HTMLButtonElement): Promise<void> {
  const shown = opened.get(id);
  if (shown !== undefined) {
    shown.remove();
    opened.delete(id);
    return;
  }
  const cell = h("td", { colspan: 7, class: "transcript" }, "Loading the transcript…");
  const line = h("tr", { class: "transcript-row", "data-transcript-of": id }, cell);
  opened.set(id, line);
  button.closest("tr")?.after(line);
  try {
    const { turns } = await api.get<{ turns: Turn[] }>(`/interactions/${encodeURIComponent(id)}/transcript`);
    cell.replaceChildren(...turns.map((t) => h("p", {}, h("strong", {}, `${t.speaker}: `), t.text)));
    if (turns.length === 0) setText(cell, "Nobody spoke on this call.");
  } catch (error) {
    const missing = error instanceof ApiError && error.status === 404;
    setText(cell, missing ? "No transcript yet: it is made a little after the call." : messageOf(error));
  }
}

export async function refreshHistory(api: Api, names: (id: string) => string | null): Promise<void> {
  const status = byId("history-status");
  try {
    const { items } = await api.get<{ items: Interaction[] }>("/interactions?limit=500");
    const today = startOfToday();
    const rows = items
      .filter((i) => (i.created_at ?? 0) >= today)
      .sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0))
      .flatMap((i) => {
        const transcript = opened.get(i.id);
        return transcript === undefined ? [row(api, i, names(i.id))] : [row(api, i, names(i.id)), transcript];
      });
    byId("history-rows").replaceChildren(...rows);
    setText(status, rows.length ? "" : "Nothing yet today.");
  } catch (error) {
    setText(status, messageOf(error));
  }
}

// What the panel knows: presence, offers, work and pending wrap-ups; views re-render on `changed()`.
// Screen pops and pending wrap-ups are kept in sessionStorage too, since the server's `state` has neither.

import type { Interaction, Offer, Presence, ScreenPop } from "./types";

export interface WorkItem {
  interaction: Interaction;
  held: boolean;
  /** Its End, with disposition and notes, is on the way: its `ended` event needs no second form. */
  ending: boolean;
  /** A supervisor on the call and how (listen / whisper / barge), when the gateway is set to tell. */
  supervisor: { id: string; name: string | null; mode: string } | null;
}

const POPS_KEY = "helpline.agent.pops";
const WRAPUPS_KEY = "helpline.agent.wrapups";
const NAMES_KEY = "helpline.agent.names";
const NAMES_KEPT = 500;

function loadMap<T>(key: string): Map<string, T> {
  try {
    const raw = sessionStorage.getItem(key);
    return new Map(raw ? (Object.entries(JSON.parse(raw) as Record<string, T>)) : []);
  } catch {
    return new Map();
  }
}

function saveMap<T>(key: string, map: Map<string, T>): void {
  sessionStorage.setItem(key, JSON.stringify(Object.fromEntries(map)));
}

export class Store {
  presence: Presence = { state: "offline", reason: null, since: null, until: null };
  /** Counts presence news from the socket: a REST answer older than the latest news must not win. */
  presenceNews = 0;
  connected = false;
  /** The server's `state` has arrived since load: until then nothing kept may be pruned. */
  synced = false;
  readonly offers = new Map<string, Offer>();
  readonly work = new Map<string, WorkItem>();
  /** Interactions that ended without the panel's End (hang-up, customer left): disposition still to give. */
  readonly wrapUps: Map<string, Interaction> = loadMap<Interaction>(WRAPUPS_KEY);
  private readonly pops: Map<string, ScreenPop> = loadMap<ScreenPop>(POPS_KEY);
  /** Who each recent interaction was with, as the pop named them, for today's list. */
  private readonly names: Map<string, string> = loadMap<string>(NAMES_KEY);
  private readonly listeners = new Set<() => void>();

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  changed(): void {
    for (const listener of this.listeners) listener();
    this.persistSoon();
  }

  private persistTimer: number | undefined;

  /** Once per burst of changes, after the render: storage writes never delay an offer card. */
  private persistSoon(): void {
    if (this.persistTimer !== undefined) return;
    this.persistTimer = window.setTimeout(() => {
      this.persistTimer = undefined;
      this.persist();
    }, 0);
  }

  pop(interactionId: string): ScreenPop | null {
    return this.pops.get(interactionId) ?? null;
  }

  name(interactionId: string): string | null {
    return this.names.get(interactionId) ?? null;
  }

  rememberPop(pop: ScreenPop | null | undefined): void {
    if (!pop) return;
    this.pops.set(pop.interaction_id, pop);
    if (pop.customer) this.names.set(pop.interaction_id, pop.customer.name);
    for (const id of this.names.keys()) {
      if (this.names.size <= NAMES_KEPT) break;
      this.names.delete(id);
    }
  }

  addOffer(interaction: Interaction, deadline: number | null): void {
    this.offers.set(interaction.id, {
      interaction,
      pop: this.pop(interaction.id),
      deadline: deadline ?? interaction.offer_deadline ?? null,
    });
  }

  addWork(interaction: Interaction): void {
    const known = this.work.get(interaction.id);
    this.work.set(interaction.id, {
      interaction,
      held: known?.held ?? false,
      ending: known?.ending ?? false,
      supervisor: known?.supervisor ?? null,
    });
  }

  private persist(): void {
    if (!this.synced) return;
    const live = new Set([...this.offers.keys(), ...this.work.keys(), ...this.wrapUps.keys()]);
    for (const id of [...this.pops.keys()]) if (!live.has(id)) this.pops.delete(id);
    saveMap(POPS_KEY, this.pops);
    saveMap(WRAPUPS_KEY, this.wrapUps);
    saveMap(NAMES_KEY, this.names);
  }

  clear(): void {
    window.clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    this.offers.clear();
    this.work.clear();
    this.wrapUps.clear();
    this.pops.clear();
    this.names.clear();
    sessionStorage.removeItem(POPS_KEY);
    sessionStorage.removeItem(NAMES_KEY);
    sessionStorage.removeItem(WRAPUPS_KEY);
  }
}

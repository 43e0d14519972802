// The login kept in sessionStorage: a reload keeps it, closing the tab ends it.

import type { Session } from "./types";

const KEY = "helpline.agent.session";

export function loadSession(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as Partial<Session>;
    if (typeof value.token === "string" && value.user && typeof value.user.id === "string") {
      return value as Session;
    }
  } catch {
    // A damaged entry is the same as none.
  }
  sessionStorage.removeItem(KEY);
  return null;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

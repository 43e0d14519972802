// Server time (epoch seconds) as seen from the browser, and the short durations the panel shows.

let skewSeconds = 0;

/** Learn the server's clock from an HTTP Date header; only a gross skew is corrected (1 s resolution). */
export function observeServerDate(header: string | null): void {
  if (header === null) return;
  const server = Date.parse(header);
  if (Number.isNaN(server)) return;
  const skew = (server - Date.now()) / 1000;
  skewSeconds = Math.abs(skew) > 2 ? skew : 0;
}

export function serverNow(): number {
  return Date.now() / 1000 + skewSeconds;
}

export function duration(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export function clockTime(epochSeconds: number | null | undefined): string {
  if (epochSeconds === null || epochSeconds === undefined) return "";
  return new Date(epochSeconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function startOfToday(): number {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime() / 1000;
}

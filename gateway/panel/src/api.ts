// REST calls to the gateway with the session's bearer token; failures carry the server's own message.

import { observeServerDate } from "./clock";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorId: string,
  ) {
    super(message);
  }
}

/** What the login form says when the gateway ended the session (a REST call refused, or the socket told). */
export function sessionEnded(why: string): string {
  return `Your session has ended: ${why.replace(/;? *log in again\.?$/i, "")}. Please log in again.`;
}

async function errorOf(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`.trim();
  let errorId = "http_error";
  try {
    const body: unknown = await response.json();
    if (typeof body === "object" && body !== null) {
      const { message: text, error_id: id } = body as { message?: unknown; error_id?: unknown };
      if (typeof text === "string" && text) message = text;
      if (typeof id === "string") errorId = id;
    }
  } catch {
    // Not JSON (a proxy's page, say): the status line is the best message there is.
  }
  return new ApiError(message, response.status, errorId);
}

export class Api {
  constructor(
    private readonly token: () => string | null,
    private readonly onUnauthorized: (message: string) => void,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const token = this.token();
    if (token) headers["Authorization"] = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`/api/v1${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch {
      throw new ApiError("the gateway cannot be reached", 0, "network_error");
    }
    observeServerDate(response.headers.get("Date"));
    if (!response.ok) {
      const error = await errorOf(response);
      if (response.status === 401 && token) this.onUnauthorized(error.message);
      throw error;
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A file the API serves (a recording), fetched with the session's token. */
  async blob(path: string): Promise<Blob> {
    const token = this.token();
    let response: Response;
    try {
      response = await fetch(`/api/v1${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    } catch {
      throw new ApiError("the gateway cannot be reached", 0, "network_error");
    }
    if (!response.ok) throw await errorOf(response);
    return response.blob();
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>("GET", path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>("POST", path, body);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

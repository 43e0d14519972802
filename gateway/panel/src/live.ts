// The agent's Socket.IO connection: reconnects by itself, and the server re-sends `state` on each connect.

import { io, type Socket } from "socket.io-client";
import type { AgentState, RoutingEvent, ScreenPop } from "./types";

export interface LiveHandlers {
  state(state: AgentState): void;
  offer(event: RoutingEvent): void;
  /** The CRM answered after the offer went out: the complete screen pop. */
  pop(event: { interaction_id: string; pop: ScreenPop }): void;
  offerEnded(event: RoutingEvent): void;
  assigned(event: RoutingEvent): void;
  ended(event: RoutingEvent): void;
  presence(event: RoutingEvent): void;
  /** A supervisor joined, switched mode on or left one of the agent's calls (`supervisor_action`). */
  supervisor(event: RoutingEvent): void;
  connection(connected: boolean, why: string): void;
  /** The server refused the token, or ended the session (expired, revoked): logging in again is the only way on. */
  refused(message: string): void;
}

export interface Ack {
  ok: boolean;
  message?: string;
  error_id?: string;
}

export class Live {
  private readonly socket: Socket;

  constructor(token: string, handlers: LiveHandlers) {
    this.socket = io("/agent", {
      path: "/socket.io",
      auth: { token },
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    const socket = this.socket;
    let ended = false;
    socket.on("connect", () => handlers.connection(true, "connected"));
    socket.on("session_ended", (data: { message?: string }) => {
      ended = true;
      handlers.refused(data.message ?? "log in again");
    });
    socket.on("disconnect", (reason) => {
      if (ended) return;
      handlers.connection(false, reason);
      // The server closing the socket (a restart) does not trigger the client's own reconnection.
      if (reason === "io server disconnect") setTimeout(() => socket.connect(), 1000);
    });
    socket.on("connect_error", (error: Error) => {
      if (socket.active) handlers.connection(false, error.message);
      else handlers.refused(error.message);
    });
    socket.on("state", (data: AgentState) => handlers.state(data));
    socket.on("offer", (data: RoutingEvent) => handlers.offer(data));
    socket.on("pop", (data: { interaction_id: string; pop: ScreenPop }) => handlers.pop(data));
    socket.on("offer_ended", (data: RoutingEvent) => handlers.offerEnded(data));
    socket.on("assigned", (data: RoutingEvent) => handlers.assigned(data));
    socket.on("ended", (data: RoutingEvent) => handlers.ended(data));
    socket.on("presence", (data: RoutingEvent) => handlers.presence(data));
    socket.on("supervisor", (data: RoutingEvent) => handlers.supervisor(data));
  }

  async send(event: "accept" | "reject", interactionId: string): Promise<Ack> {
    if (!this.socket.connected) return { ok: false, message: "not connected to the gateway" };
    try {
      return (await this.socket.timeout(5000).emitWithAck(event, { interaction_id: interactionId })) as Ack;
    } catch {
      return { ok: false, message: "the gateway did not answer in time" };
    }
  }

  close(): void {
    this.socket.disconnect();
  }
}

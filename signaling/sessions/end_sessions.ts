/**
 * Ending WHEP sessions from the server side (logout, revoked login, removed
 * user): the publisher is told to close, so media stops at once.
 * @module
 */
import type { ServerContext } from "../context.ts";
import type { ControlMessage } from "../devices/hub.ts";

/** Ends every session opened by a login family; returns how many. */
export function endFamilySessions(ctx: ServerContext, family: string, reason: string): number {
  const sessions = ctx.sessions.ofFamily(family);
  for (const s of sessions) {
    ctx.sessions.remove(s.id);
    ctx.bus.publish<ControlMessage>(`camera.${s.camera}.control`, {
      type: "close",
      sessionId: s.id,
      reason,
    });
    ctx.bus.publish(`session.${s.id}.closed`, { reason });
    ctx.audit.log("session.end", {
      session: s.id,
      camera: s.camera,
      viewer: s.viewer,
      by: "server",
      reason,
    });
  }
  return sessions.length;
}

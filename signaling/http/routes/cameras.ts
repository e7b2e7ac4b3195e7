/**
 * The cameras a viewer may watch, and a live presence stream (server-sent
 * events over an authenticated fetch: EventSource cannot send headers).
 * @module
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { ServerContext } from "../../context.ts";
import type { CameraPresence } from "../../devices/presence.ts";
import type { AppEnv } from "./env.ts";
import { mayWatch } from "../../auth/scope.ts";
import { requireViewer } from "./auth.ts";

async function visibleCameras(ctx: ServerContext, cams: string[], user?: string) {
  // Whether the viewer may watch recordings of each (routes/recordings.ts checks it again).
  const recordings = user ? (await ctx.store.users.find(user))?.recordings ?? [] : [];
  return (await ctx.store.devices.list())
    .filter((d) => d.revokedAt === null && mayWatch(cams, d.id))
    .map((d) => {
      const p = ctx.presence.get(d.id);
      return {
        id: d.id,
        label: p?.label || d.label || d.id,
        online: p?.online ?? false,
        since: new Date(p?.since ?? ctx.startedAt).toISOString(),
        recordings: mayWatch(recordings, d.id),
      };
    });
}

/** `GET /api/cameras` and `GET /api/cameras/events`. */
export function cameraRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  app.use("/api/*", requireViewer(ctx));
  app.get("/api/cameras", async (c) => {
    c.header("cache-control", "no-store");
    const viewer = c.get("viewer");
    return c.json({ cameras: await visibleCameras(ctx, viewer.cams, viewer.sub) });
  });
  app.get("/api/cameras/events", (c) => {
    const viewer = c.get("viewer");
    c.header("cache-control", "no-store");
    return streamSSE(c, async (stream) => {
      const queue: CameraPresence[] = [];
      let wake: (() => void) | null = null;
      const off = ctx.presence.subscribe((p) => {
        if (!mayWatch(viewer.cams, p.id)) return;
        queue.push(p);
        wake?.();
      });
      // Ends with its grant: logout, removal or revocation of this login on any node
      // (ViewingSessions.onFamilyEnded), user:remove, a changed camera scope (auth/live_grants.ts).
      let ended = false;
      const offFamily = ctx.viewing.onFamilyEnded((family) => {
        if (family !== viewer.sid) return;
        ended = true;
        wake?.();
      });
      stream.onAbort(() => {
        off();
        offFamily();
        wake?.();
      });
      const release = ctx.grants.hold({
        family: viewer.sid,
        user: viewer.sub,
        end: () => {
          ended = true;
          wake?.();
        },
      });
      // Access tokens live ≤ 5 min: end the stream when this one expires.
      const endAt = viewer.exp * 1000;
      try {
        for (const cam of await visibleCameras(ctx, viewer.cams)) {
          await stream.writeSSE({ event: "presence", data: JSON.stringify(cam) });
        }
        while (!stream.aborted && !ended && Date.now() < endAt) {
          while (queue.length > 0 && !ended) {
            const p = queue.shift()!;
            await stream.writeSSE({
              event: "presence",
              data: JSON.stringify({
                id: p.id,
                label: p.label,
                online: p.online,
                since: new Date(p.since).toISOString(),
              }),
            });
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 15_000);
          });
          wake = null;
          if (ended) break;
          if (queue.length === 0 && !stream.aborted) await stream.write(": keep-alive\n\n");
        }
      } finally {
        off();
        offFamily();
        release();
      }
    });
  });
  return app;
}

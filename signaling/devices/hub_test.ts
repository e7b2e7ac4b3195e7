import assert from "node:assert/strict";
import { AuditLog } from "../audit/audit_log.ts";
import { InProcessBus } from "../bus/bus.ts";
import { DeviceHub, type OfferReply } from "./hub.ts";
import { Presence } from "./presence.ts";
import { WhepSessions } from "../sessions/table.ts";

function setup(timeoutMs = 10_000) {
  const bus = new InProcessBus();
  const presence = new Presence(bus);
  const sessions = new WhepSessions({ perCamera: 4, perViewer: 4 });
  const hub = new DeviceHub({
    bus,
    presence,
    sessions,
    audit: new AuditLog(null),
    heartbeatMs: 50,
    timeoutMs,
    iceServers: [],
  });
  return { bus, presence, sessions, hub };
}

function fakeSocket() {
  const sent: Record<string, unknown>[] = [];
  const closed: { code: number; reason: string }[] = [];
  return {
    sent,
    closed,
    socket: {
      send: (t: string) => sent.push(JSON.parse(t)),
      close: (code: number, reason: string) => closed.push({ code, reason }),
    },
  };
}

Deno.test("device hub: hello marks online; offers round-trip; a newer connection replaces the older", async () => {
  const { bus, presence, hub } = setup();
  try {
    const a = fakeSocket();
    const ha = hub.attach("cam", "01", a.socket);
    assert.equal(a.sent[0].type, "welcome");
    ha.onMessage(JSON.stringify({ type: "hello", version: "1", camera: { label: "Door" } }));
    assert.equal(presence.get("cam")?.online, true);
    const reply = bus.request<unknown, OfferReply>("camera.cam.offer", {
      sessionId: crypto.randomUUID(),
      sdp: "v=0",
      viewer: "v",
    }, 1000);
    await new Promise((r) => setTimeout(r, 0)); // the responder runs asynchronously
    const offer = a.sent.find((m) => m.type === "offer")!;
    ha.onMessage(JSON.stringify({ type: "answer", sessionId: offer.sessionId, sdp: "v=0 answer" }));
    assert.deepEqual(await reply, { sdp: "v=0 answer" });

    const b = fakeSocket();
    hub.attach("cam", "02", b.socket);
    assert.equal(a.closed[0].code, 4000, "the older connection is closed");
    assert.equal(hub.size, 1);
    ha.onMessage(JSON.stringify({ type: "heartbeat", t: 1 }));
    assert.equal(
      a.sent.filter((m) => m.type === "heartbeat").length,
      0,
      "the old socket is ignored",
    );
  } finally {
    hub.close();
  }
});

Deno.test("device hub: silence beyond the timeout marks the camera offline and fails pending offers", async () => {
  const { bus, presence, hub } = setup(120);
  try {
    const a = fakeSocket();
    const h = hub.attach("cam", "01", a.socket);
    h.onMessage(JSON.stringify({ type: "hello", version: "1", camera: {} }));
    const pending = bus.request<unknown, OfferReply>("camera.cam.offer", {
      sessionId: crypto.randomUUID(),
      sdp: "v=0",
      viewer: "v",
    }, 5000);
    assert.deepEqual(await pending, { status: 503, message: "the camera went offline" });
    assert.equal(presence.get("cam")?.online, false);
    assert.equal(a.closed[0].code, 4008);
    assert.ok(!bus.hasResponder("camera.cam.offer"));
  } finally {
    hub.close();
  }
});

Deno.test("device hub: a channel ends when its certificate expires", async () => {
  const { hub } = setup();
  try {
    const a = fakeSocket();
    hub.attach("cam", "01", a.socket, Date.now() + 50);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(a.closed[0]?.code, 4001);
    assert.equal(hub.isConnected("cam"), false);
  } finally {
    hub.close();
  }
});

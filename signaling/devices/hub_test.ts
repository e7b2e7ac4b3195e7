import assert from "node:assert/strict";
import { AuditLog } from "../audit/audit_log.ts";
import { BusError, InProcessBus } from "../bus/bus.ts";
import { type SessionClosed, topics } from "../bus/topics.ts";
import { DeviceHub } from "./hub.ts";
import { Presence } from "./presence.ts";

function setup(timeoutMs = 10_000) {
  const bus = new InProcessBus();
  const presence = new Presence(bus);
  const hub = new DeviceHub({
    bus,
    presence,
    audit: new AuditLog(null),
    heartbeatMs: 50,
    timeoutMs,
    iceServers: [],
  });
  return { bus, presence, hub };
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

const offer = (sessionId = crypto.randomUUID()) => ({ sessionId, sdp: "v=0", viewer: "v" });
const tick = () => new Promise((r) => setTimeout(r, 0)); // the responder runs asynchronously

Deno.test("device hub: hello marks online with its limit; offers round-trip; a newer connection replaces the older", async () => {
  const { bus, presence, hub } = setup();
  try {
    const a = fakeSocket();
    const ha = hub.attach("cam", "01", a.socket);
    assert.equal(a.sent[0].type, "welcome");
    ha.onMessage(
      JSON.stringify({ type: "hello", version: "1", camera: { label: "Door" }, maxViewers: 3 }),
    );
    assert.equal(presence.get("cam")?.online, true);
    assert.equal(presence.get("cam")?.maxViewers, 3);
    const reply = bus.request(topics.offer("cam"), offer(), 1000);
    await tick();
    const sent = a.sent.find((m) => m.type === "offer")!;
    ha.onMessage(JSON.stringify({ type: "answer", sessionId: sent.sessionId, sdp: "v=0 answer" }));
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

Deno.test("device hub: session ends on the device side are announced once, on the session's topic", async () => {
  const { bus, hub } = setup();
  try {
    const a = fakeSocket();
    const h = hub.attach("cam", "01", a.socket);
    h.onMessage(JSON.stringify({ type: "hello", version: "1", camera: {} }));
    const heard: (SessionClosed & { session: string })[] = [];
    const answered = async () => {
      const o = offer();
      bus.subscribe(
        topics.sessionClosed(o.sessionId),
        (m) => heard.push({ ...m, session: o.sessionId }),
      );
      const r = bus.request(topics.offer("cam"), o, 1000);
      await tick();
      h.onMessage(JSON.stringify({ type: "answer", sessionId: o.sessionId, sdp: "v=0 answer" }));
      await r;
      return o.sessionId;
    };
    const closedByPublisher = await answered();
    const closedByServer = await answered();
    const endsWithChannel = await answered();

    h.onMessage(JSON.stringify({ type: "close", sessionId: closedByPublisher, reason: "bye" }));
    h.onMessage(JSON.stringify({ type: "close", sessionId: closedByPublisher, reason: "again" }));
    h.onMessage(
      JSON.stringify({ type: "close", sessionId: crypto.randomUUID(), reason: "not mine" }),
    );
    bus.publish(topics.control("cam"), {
      type: "close",
      sessionId: closedByServer,
      reason: "viewer left",
    });
    assert.ok(a.sent.some((m) => m.type === "close" && m.sessionId === closedByServer));
    h.onClose();

    assert.deepEqual(heard, [
      { camera: "cam", cause: "publisher", reason: "bye", session: closedByPublisher },
      { camera: "cam", cause: "offline", reason: "publisher offline", session: endsWithChannel },
    ]);
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
    const o = offer();
    const closed: SessionClosed[] = [];
    bus.subscribe(topics.sessionClosed(o.sessionId), (m) => closed.push(m));
    const pending = bus.request(topics.offer("cam"), o, 5000);
    assert.deepEqual(await pending, { status: 503, message: "the camera went offline" });
    assert.deepEqual(closed, [{ camera: "cam", cause: "offline", reason: "publisher offline" }]);
    assert.equal(presence.get("cam")?.online, false);
    assert.equal(a.closed[0].code, 4008);
    await assert.rejects(
      bus.request(topics.offer("cam"), offer(), 100),
      (e) => e instanceof BusError && e.code === "no_responder",
    );
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

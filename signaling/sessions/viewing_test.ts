import assert from "node:assert/strict";
import { AuditLog } from "../audit/audit_log.ts";
import type { AccessClaims } from "../auth/tokens.ts";
import { InProcessBus } from "../bus/bus.ts";
import { type ControlMessage, type OfferReply, type OfferRequest, topics } from "../bus/topics.ts";
import { Presence } from "../devices/presence.ts";
import { openDatabase } from "../store/db.ts";
import { addDeviceWithToken, revokeDevice } from "../store/devices.ts";
import { revokeFamily } from "../store/refresh_tokens.ts";
import { SessionError, ViewingSessions } from "./viewing.ts";

const OFFER = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n";

function claims(sub: string, cams = ["*"], sid = crypto.randomUUID()): AccessClaims {
  return { sub, cams, sid, jti: crypto.randomUUID(), exp: Date.now() / 1000 + 300 };
}

/** A viewing-session owner over a real bus and store, and a camera whose publisher the test plays. */
function setup(o: { answerTimeoutMs?: number; perCamera?: number } = {}) {
  const db = openDatabase(":memory:");
  for (const id of ["cam", "other"]) {
    addDeviceWithToken(db, { id, label: id }, {
      hash: crypto.randomUUID(),
      expiresAt: Date.now() + 60_000,
    }, Date.now());
  }
  const bus = new InProcessBus();
  const presence = new Presence(bus);
  const audit = new AuditLog(null);
  const viewing = new ViewingSessions({
    bus,
    presence,
    audit,
    db,
    limits: { perCamera: o.perCamera ?? 16, perViewer: 4 },
    answerTimeoutMs: o.answerTimeoutMs ?? 1000,
  });
  const offers: OfferRequest[] = [];
  const control: ControlMessage[] = [];
  let reply: (r: OfferRequest) => OfferReply | Promise<OfferReply> = () => ({ sdp: "v=0 answer" });
  const publisherOnline = (maxViewers: number | null = null) => {
    presence.online("cam", "Cam", maxViewers);
    bus.respond(topics.offer("cam"), (r) => {
      offers.push(r);
      return reply(r);
    });
    bus.subscribe(topics.control("cam"), (m) => control.push(m));
  };
  const ends = (session?: string) =>
    audit.recent.filter((e) =>
      e.event === "session.end" && (session === undefined || e.session === session)
    );
  return {
    db,
    bus,
    viewing,
    audit,
    offers,
    control,
    ends,
    publisherOnline,
    answerWith: (f: typeof reply) => reply = f,
    close: () => {
      viewing.close();
      db.close();
    },
  };
}

const refusedWith = (status: number, code: string) => (e: unknown) =>
  e instanceof SessionError && e.status === status && e.code === code;

Deno.test("viewing sessions: each end, whatever its cause, is exactly one session.end", async (t) => {
  const s = setup({ answerTimeoutMs: 100 });
  s.publisherOnline();
  const alice = claims("alice");
  try {
    await t.step("the viewer leaves (DELETE): by viewer, the publisher is told", async () => {
      const { session, answer } = await s.viewing.open(alice, "cam", OFFER, "ip");
      assert.equal(answer, "v=0 answer");
      assert.equal(s.offers.at(-1)?.viewer, "alice");
      s.viewing.leave(s.viewing.find(alice, "cam", session.id));
      assert.throws(
        () => s.viewing.find(alice, "cam", session.id),
        refusedWith(404, "unknown_session"),
      );
      assert.deepEqual(s.control.at(-1), {
        type: "close",
        sessionId: session.id,
        reason: "viewer left",
      });
      assert.deepEqual(s.ends(session.id).map((e) => [e.by, e.reason]), [[
        "viewer",
        "viewer left",
      ]]);
    });

    await t.step(
      "logout ends the family's sessions: by server, the publisher is told",
      async () => {
        const bob = claims("bob");
        const a = await s.viewing.open(bob, "cam", OFFER, "ip");
        const b = await s.viewing.open(bob, "cam", OFFER, "ip");
        assert.equal(s.viewing.endFamily(bob.sid, "logged out"), 2);
        assert.equal(s.viewing.endFamily(bob.sid, "logged out"), 0);
        for (const { session } of [a, b]) {
          assert.deepEqual(s.ends(session.id).map((e) => [e.by, e.reason]), [[
            "server",
            "logged out",
          ]]);
          assert.ok(s.control.some((m) => m.type === "close" && m.sessionId === session.id));
        }
      },
    );

    await t.step(
      "a family revoked in the store (user:remove elsewhere) ends its sessions",
      async () => {
        const carol = claims("carol");
        const { session } = await s.viewing.open(carol, "cam", OFFER, "ip");
        revokeFamily(s.db, carol.sid, Date.now(), "user");
        s.viewing.endRevokedFamilies();
        s.viewing.endRevokedFamilies();
        assert.deepEqual(s.ends(session.id).map((e) => e.reason), ["session revoked"]);
      },
    );

    await t.step("the publisher closes it: by publisher, not echoed back", async () => {
      const { session } = await s.viewing.open(alice, "cam", OFFER, "ip");
      const before = s.control.length;
      s.bus.publish(topics.sessionClosed(session.id), {
        camera: "cam",
        cause: "publisher",
        reason: "no media",
      });
      s.bus.publish(topics.sessionClosed(session.id), {
        camera: "cam",
        cause: "publisher",
        reason: "again",
      });
      assert.equal(s.control.length, before);
      assert.throws(() => s.viewing.leave(session), refusedWith(404, "unknown_session"));
      assert.deepEqual(s.ends(session.id).map((e) => [e.by, e.reason]), [[
        "publisher",
        "no media",
      ]]);
    });

    await t.step("another camera cannot end it", async () => {
      const { session } = await s.viewing.open(alice, "cam", OFFER, "ip");
      s.bus.publish(topics.sessionClosed(session.id), {
        camera: "other",
        cause: "publisher",
        reason: "not yours",
      });
      assert.ok(s.viewing.get(session.id));
      s.bus.publish(topics.sessionClosed(session.id), {
        camera: "cam",
        cause: "offline",
        reason: "publisher offline",
      });
      assert.deepEqual(s.ends(session.id).map((e) => [e.by, e.reason]), [[
        "server",
        "publisher offline",
      ]]);
    });

    await t.step("no answer in time: 504, ended by the server, the publisher is told", async () => {
      s.answerWith(() => new Promise(() => {}));
      await assert.rejects(
        s.viewing.open(alice, "cam", OFFER, "ip"),
        refusedWith(504, "answer_timeout"),
      );
      const sid = s.offers.at(-1)!.sessionId;
      assert.deepEqual(s.ends(sid).map((e) => [e.by, e.reason]), [["server", "answer timeout"]]);
      assert.deepEqual(s.control.at(-1), {
        type: "close",
        sessionId: sid,
        reason: "answer timeout",
      });
    });

    await t.step("the publisher refuses: its status, ended by the publisher", async () => {
      s.answerWith(() => ({ status: 503, message: "camera busy" }));
      await assert.rejects(
        s.viewing.open(alice, "cam", OFFER, "ip"),
        refusedWith(503, "publisher_busy"),
      );
      const sid = s.offers.at(-1)!.sessionId;
      assert.deepEqual(s.ends(sid).map((e) => [e.by, e.reason]), [["publisher", "camera busy"]]);
      s.answerWith(() => ({ sdp: "v=0 answer" }));
    });

    await t.step("the camera goes offline while negotiating: 503, one end", async () => {
      s.answerWith((r) => {
        s.bus.publish(topics.sessionClosed(r.sessionId), {
          camera: "cam",
          cause: "offline",
          reason: "publisher offline",
        });
        return { status: 503, message: "the camera went offline" };
      });
      await assert.rejects(
        s.viewing.open(alice, "cam", OFFER, "ip"),
        refusedWith(503, "camera_offline"),
      );
      const sid = s.offers.at(-1)!.sessionId;
      assert.deepEqual(s.ends(sid).map((e) => e.reason), ["publisher offline"]);
      s.answerWith(() => ({ sdp: "v=0 answer" }));
    });

    await t.step("every session that ended was counted once; none is left", () => {
      const ids = s.ends().map((e) => e.session);
      assert.equal(new Set(ids).size, ids.length);
      assert.equal(s.viewing.size, 0);
    });
  } finally {
    s.close();
  }
});

Deno.test("viewing sessions: refusals before anything reaches the publisher", async (t) => {
  const s = setup();
  const alice = claims("alice", ["cam", "nope"]);
  try {
    await t.step("camera offline (no channel): 503, no session, no trace", async () => {
      await assert.rejects(
        s.viewing.open(alice, "cam", OFFER, "ip"),
        refusedWith(503, "camera_offline"),
      );
      assert.equal(s.viewing.size, 0);
      assert.equal(s.ends().length, 0);
    });
    s.publisherOnline(2);
    await t.step("outside the scope 403; unknown inside it 404; a bad offer 400", async () => {
      assert.throws(
        () => s.viewing.checkAccess(alice, "other", "ip"),
        refusedWith(403, "forbidden"),
      );
      assert.throws(
        () => s.viewing.checkAccess(alice, "nope", "ip"),
        refusedWith(404, "unknown_camera"),
      );
      await assert.rejects(
        s.viewing.open(
          alice,
          "cam",
          `${OFFER}m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n`,
          "ip",
        ),
        refusedWith(400, "bad_offer"),
      );
      assert.equal(s.offers.length, 0);
      assert.ok(
        s.audit.recent.some((e) => e.event === "session.refused" && e.reason === "not permitted"),
      );
    });
    await t.step(
      "the publisher's own maxViewers lowers the camera's limit: 429 before relaying",
      async () => {
        await s.viewing.open(alice, "cam", OFFER, "ip");
        await s.viewing.open(claims("bob"), "cam", OFFER, "ip");
        await assert.rejects(
          s.viewing.open(claims("carol"), "cam", OFFER, "ip"),
          refusedWith(429, "camera_full"),
        );
        assert.equal(s.offers.length, 2, "the third offer never reached the publisher");
      },
    );
    await t.step("a revoked device is offline", async () => {
      revokeDevice(s.db, "cam", Date.now(), "operator");
      await assert.rejects(
        s.viewing.open(claims("dave"), "cam", OFFER, "ip"),
        refusedWith(503, "camera_offline"),
      );
    });
    await t.step("trickle relays only ICE lines of the viewer's own session", async () => {
      const t2 = setup();
      t2.publisherOnline();
      try {
        const { session } = await t2.viewing.open(alice, "cam", OFFER, "ip");
        t2.viewing.trickle(
          session,
          "a=mid:0\r\na=candidate:1 1 udp 1 127.0.0.1 5000 typ host\r\nx=evil\r\n",
        );
        assert.deepEqual(t2.control.at(-1), {
          type: "candidate",
          sessionId: session.id,
          candidate: "a=candidate:1 1 udp 1 127.0.0.1 5000 typ host",
        });
        assert.throws(
          () => t2.viewing.trickle(session, `a=candidate:${"x".repeat(600)}`),
          refusedWith(400, "bad_sdpfrag"),
        );
        assert.throws(
          () => t2.viewing.find(claims("mallory"), "cam", session.id),
          refusedWith(404, "unknown_session"),
        );
        assert.throws(
          () => t2.viewing.find(alice, "other", session.id),
          refusedWith(404, "unknown_session"),
        );
      } finally {
        t2.close();
      }
    });
  } finally {
    s.close();
  }
});

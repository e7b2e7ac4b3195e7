/**
 * vigil's signaling server, composed: state (store, PKI, signing keys, audit
 * log), the domain (bus, presence, viewing sessions, device channels), the
 * revocation wiring, and the two listeners: public HTTPS (http/public_listener.ts)
 * and device mTLS (http/device_listener.ts).
 *
 * @example
 * ```ts
 * const server = await startServer(serverSettings({ dataDir: "./data", port: 0, devicePort: 0 }));
 * console.log(server.publicUrl, server.devicePort);
 * await server.close();
 * ```
 * @module
 */
import { lookup } from "node:dns/promises";
import { join } from "node:path";
import { AuditLog } from "./audit/audit_log.ts";
import { fileKeySource, loadKeyRing, type PrivateKeySource } from "./auth/jwt_keys.ts";
import { loadKek } from "./auth/kek.ts";
import { openBus } from "./bus/open.ts";
import { topics } from "./bus/topics.ts";
import { sealedKeySource, sharedCa } from "./certs/shared_keys.ts";
import { ClusterFollower } from "./cluster/follower.ts";
import { ClusterMembers } from "./cluster/members.ts";
import { NodeConsole } from "./cluster/node_console.ts";
import { Readiness } from "./cluster/readiness.ts";
import { guardStrayNetworkErrors } from "./cluster/stray_errors.ts";
import { Throttle } from "./auth/rate_limit.ts";
import { ensurePki } from "./certs/pki_state.ts";
import { watchServerCertificate } from "./certs/renewal.ts";
import { serverNames } from "./certs/server_names.ts";
import type { ServerSettings } from "./config/settings.ts";
import type { ServerContext } from "./context.ts";
import { DeviceHub } from "./devices/hub.ts";
import { Presence } from "./devices/presence.ts";
import { RevocationList } from "./devices/revocation.ts";
import { startDeviceListener } from "./http/device_listener.ts";
import { publicApp } from "./http/public_app.ts";
import { ServerMetrics } from "./metrics/metrics.ts";
import { readMetricsToken } from "./metrics/token_file.ts";
import { deviceState } from "./devices/device_state.ts";
import { startPublicListener } from "./http/public_listener.ts";
import { ViewingSessions } from "./sessions/viewing.ts";
import type { SessionCounts } from "./sessions/table.ts";
import { LiveGrants } from "./auth/live_grants.ts";
import { IceService } from "./turn/ice_service.ts";
import { openStore } from "./store/open.ts";
import { RecordingArchive } from "./recordings/archive.ts";
import { loadFootageKey } from "./recordings/footage_key_file.ts";
import { Snapshots } from "./recordings/snapshots.ts";

/** A running server. */
export interface RunningServer {
  ctx: ServerContext;
  hub: DeviceHub;
  publicPort: number;
  devicePort: number;
  publicUrl: string;
  caFingerprint: string;
  close(): Promise<void>;
}

/** Prepares state (data dir, PKI, keys, store) and starts both listeners. */
export async function startServer(config: ServerSettings): Promise<RunningServer> {
  // State.
  await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const nodeId = config.nodeId ?? crypto.randomUUID().slice(0, 8);
  // A cluster's key material is sealed in the shared store (certs/shared_keys.ts).
  const kek = config.kekFile ? await loadKek(config.kekFile) : null;
  if (config.store || config.bus) guardStrayNetworkErrors();
  const store = await openStore(config);
  const opened = await openBus(config, nodeId).catch(async (err) => {
    await store.close();
    throw err;
  });
  // Events from here on are followed (below): a key another node makes while we load is seen.
  const startSeq = await store.events.last();
  const ca = kek && config.store ? await sharedCa(store, kek) : undefined;
  const keys: PrivateKeySource = kek && config.store
    ? sealedKeySource(store, kek)
    : fileKeySource(config.dataDir);
  const pki = await ensurePki(config.dataDir, serverNames(config), new Date(), ca);
  const ring = await loadKeyRing(store, keys);
  const audit = new AuditLog(join(config.dataDir, "audit.log"));
  // STUN/TURN: the TURN secret is read (or created in the data dir) before anything listens.
  const ice = await IceService.load(config);

  // Domain: everything talks through the bus.
  const bus = opened.bus;
  const presence = new Presence(bus, {
    nodeId,
    announceMs: opened.kind === "nats" ? 5_000 : 0,
  });
  const members = new ClusterMembers(bus, {
    nodeId,
    announceMs: opened.kind === "nats" ? config.clusterAnnounceMs : 0,
  });
  const grants = new LiveGrants();
  const viewing: ViewingSessions = new ViewingSessions({
    grants,
    bus,
    presence,
    audit,
    store,
    limits: { perCamera: config.maxSessionsPerCamera, perViewer: config.maxSessionsPerViewer },
    answerTimeoutMs: config.answerTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    // The limits count every node's sessions (nodeConsole is made below, used later).
    elsewhere: (camera: string, viewer: string): Promise<SessionCounts> =>
      nodeConsole.elsewhere(camera, viewer),
  });
  // Publishers are granted exact addresses: their TURN/STUN names are resolved here, once.
  const publisherIce = await ice.forPublishers(
    async (name) => (await lookup(name, { family: 4, all: true })).map((a) => a.address),
    (href, why) => console.error(`turn: ${href} left out for publishers: ${why}`),
  );
  const hub = new DeviceHub({
    bus,
    presence,
    audit,
    heartbeatMs: config.heartbeatMs,
    timeoutMs: config.deviceTimeoutMs,
    iceServers: publisherIce.announced(),
    sessionIceServers: publisherIce.configured
      ? async () => (await publisherIce.forSession()).iceServers
      : undefined,
  });
  const metricsToken = await readMetricsToken(config.metricsTokenFile);
  const metrics = new ServerMetrics({
    devices: async () => {
      const now = Date.now();
      const enrolled = (await store.devices.list()).filter((d) =>
        deviceState(d, now) === "enrolled"
      );
      return {
        enrolled: enrolled.length,
        online: enrolled.filter((d) => presence.get(d.id)?.online).length,
      };
    },
    sessionsActive: () => viewing.size,
    cameraStats: () => hub.cameraStats(),
    recordings: () => store.recordings.perCamera(),
  });
  audit.onEvent((event, fields) => metrics.observeAudit(event, fields));
  const recordings = await RecordingArchive.open(config.dataDir, store, {
    maxSegmentBytes: config.recordingsMaxSegmentBytes,
    retentionMs: config.recordingsRetentionMs,
    maxTotalBytes: config.recordingsMaxBytes,
  }, await loadFootageKey(config.dataDir, config.recordingsKeyFile));
  const nodeConsole: NodeConsole = new NodeConsole({
    bus,
    members,
    viewing,
    hub,
    audit,
    auditPath: join(config.dataDir, "audit.log"),
  });
  const ctx: ServerContext = {
    config,
    ice,
    store,
    ring,
    pki,
    issuer: `urn:vigil:${pki.caFingerprint.replaceAll(":", "").slice(0, 16).toLowerCase()}`,
    audit,
    startedAt: Date.now(),
    bus,
    presence,
    revocations: await RevocationList.load(store),
    viewing,
    grants,
    recordings,
    snapshots: new Snapshots(),
    hub,
    metrics,
    metricsToken,
    nodeId,
    members,
    nodeConsole,
    readiness: new Readiness({ store, bus: opened, ring: () => ctx.ring }),
    throttles: {
      loginUser: new Throttle({ freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 5 * 60_000 }),
      loginAddress: new Throttle({ freeFailures: 20, baseDelayMs: 1000, maxDelayMs: 5 * 60_000 }),
      enrollAddress: new Throttle({ freeFailures: 5, baseDelayMs: 2000, maxDelayMs: 10 * 60_000 }),
      // Every options call stores a challenge for 2 min: 30 unfinished per address, then waits.
      ceremonyAddress: new Throttle({
        freeFailures: 30,
        baseDelayMs: 1000,
        maxDelayMs: 60_000,
        forgetAfterMs: 2 * 60_000,
      }),
    },
  };

  // Listeners. With port 0 the real device port is known only now; enrollment replies carry it.
  const devices = await startDeviceListener(ctx, hub);
  ctx.config = { ...ctx.config, devicePort: devices.port };
  const operatorCert = config.tlsCertFile && config.tlsKeyFile
    ? {
      cert: await Deno.readTextFile(config.tlsCertFile),
      key: await Deno.readTextFile(config.tlsKeyFile),
    }
    : null;
  const web = await startPublicListener(publicApp(ctx).fetch, {
    host: config.host,
    port: config.port,
    cert: operatorCert?.cert ?? pki.serverCertPem + pki.caPem,
    key: operatorCert?.key ?? pki.serverKeyPem,
    limits: {
      maxPerAddress: config.maxConnectionsPerAddress,
      headersTimeoutMs: config.headersTimeoutMs,
      bodyTimeoutMs: config.bodyTimeoutMs,
    },
    onBreach: (reason, ip) => audit.log("connection.refused", { listener: "public", reason, ip }),
  });

  // Revocation, also by operator commands in other processes (the store's
  // data_version is polled): revoked devices lose their connections at once,
  // revoked logins (logout elsewhere, user:remove, user:passwd) their sessions.
  ctx.revocations.onRevoked((serials) => {
    hub.closeSerials(serials, "certificate revoked");
    devices.destroySerials(serials);
    audit.log("revocation.enforced", { serials });
  });
  ctx.revocations.onChange(() => {
    viewing.endRevokedFamilies().catch((err) =>
      console.error(`revocation: ending revoked sessions failed: ${(err as Error).message}`)
    );
  });
  ctx.revocations.watch();

  // Cluster events (store/cluster.ts) the revocation list does not cover:
  // key rotation. Read at every store change (the poll above), at once when
  // another node nudges over the bus, and after a bus outage (what was
  // missed is in the log).
  const follower = await ClusterFollower.start(store, {
    // Grants (auth/live_grants.ts): a removed user's or a narrowed scope's streams and sessions end.
    "user.removed": (e) => grants.userRemoved(e.subject),
    "user.scope": async (e) => {
      const user = await store.users.find(e.subject);
      if (user) grants.scopeChanged(user.name, user.cameras);
      else grants.userRemoved(e.subject);
    },
    "keys.rotated": async () => {
      ctx.ring = await loadKeyRing(store, keys);
      audit.log("keys.reloaded", { kid: ctx.ring.current.kid });
      scheduleKeyDrop();
    },
  }, startSeq);
  // A retired key leaves the ring (JWKS, verification) when its grace ends, without a
  // restart; tokens.ts already refuses it from that instant (verifyUntil).
  let keyDropTimer: ReturnType<typeof setTimeout> | undefined;
  function scheduleKeyDrop() {
    clearTimeout(keyDropTimer);
    const at = ctx.ring.nextExpiry;
    if (at === null) return;
    keyDropTimer = setTimeout(async () => {
      try {
        const before = [...ctx.ring.publicKeys.keys()];
        ctx.ring = await loadKeyRing(store, keys);
        const dropped = before.filter((k) => !ctx.ring.publicKeys.has(k));
        audit.log("keys.retired", { kids: dropped });
      } catch (err) {
        console.error(`keys: dropping retired keys failed: ${(err as Error).message}`);
      }
      scheduleKeyDrop();
    }, Math.max(0, at - Date.now()) + 500);
  }
  scheduleKeyDrop();
  await follower.check();
  ctx.revocations.onChange(() => follower.check());
  const offNudge = bus.subscribe(topics.clusterEvents, (m) => {
    if (m.node === nodeId) return;
    ctx.revocations.reload().catch((err) =>
      console.error(`cluster: reading the store after a nudge failed: ${(err as Error).message}`)
    );
  });
  const offBusState = opened.onStateChange((h) => {
    if (h.state !== "connected") return;
    presence.sync();
    presence.announce();
    members.announce();
    ctx.revocations.reload().catch(() => {});
  });
  presence.sync();

  // Recordings retention: at start, every minute, and after each stored segment.
  await recordings.sweep();
  const recordingSweep = setInterval(() => void recordings.sweep(), 60_000);

  // The server certificate is renewed while running: device connections stay
  // (setSecureContext); the public port re-listens unless the operator's own
  // certificate is used.
  const stopRenewal = watchServerCertificate({
    dataDir: config.dataDir,
    names: serverNames(config),
    sharedCa: ca,
    onRenewed: async (next) => {
      ctx.pki = next;
      devices.setCertificate(next);
      if (!operatorCert) {
        await web.setCertificate(next.serverCertPem + next.caPem, next.serverKeyPem);
      }
      audit.log("pki.server_renewed", { notAfter: next.serverNotAfter.toISOString() });
    },
  });

  const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  return {
    ctx,
    hub,
    publicPort: web.port,
    devicePort: devices.port,
    publicUrl: `https://${shownHost}:${web.port}`,
    caFingerprint: pki.caFingerprint,
    async close() {
      clearInterval(recordingSweep);
      await recordings.sweep();
      await ctx.revocations.stop();
      offNudge();
      offBusState();
      await follower.stop();
      clearTimeout(keyDropTimer);
      nodeConsole.close();
      members.close();
      viewing.close();
      hub.close();
      presence.close();
      await devices.close();
      stopRenewal();
      await web.close();
      await opened.close();
      audit.close();
      await store.close();
    },
  };
}

/**
 * The publisher process (run by `deno task publish` with the flags of
 * `publisherFlags`, publisher/config/flags.ts): camera source → FanoutHub → one
 * werift peer per viewer, the device channel, certificate renewal at 2/3 of
 * its lifetime, an optional recorder, and a clean shutdown on SIGINT/SIGTERM.
 *
 * @module
 */

import { SourceMeter, statsReport } from "./device/stats_report.ts";
import { runMain } from "../lib/cli.ts";
import { FanoutHub } from "./media/fanout.ts";
import { SegmentRecorder } from "./recorder/mod.ts";
import { SegmentUploader, type UploadTarget } from "./recorder/uploader.ts";
import { Snapshotter } from "./recorder/snapshotter.ts";
import { deviceBaseUrl } from "./device/state.ts";
import { consoleLogger } from "../lib/log.ts";
import { createSource } from "./sources/mod.ts";
import { SessionManager } from "./peer/session_manager.ts";
import { DeviceChannel } from "./device/channel.ts";
import { readPublishArgs } from "./config/options.ts";
import { mtlsClient, renew, renewDueAt } from "./device/renew_client.ts";
import { loadState } from "./device/state.ts";
import { relayAddressesOf } from "./peer/candidate_policy.ts";
import { certValidity } from "./cert_validity.ts";
import { oneLine } from "./device/http.ts";
import {
  announcedUrls,
  iceServersChanged,
  loadIceServerUrls,
  RELAUNCH_EXIT_CODE,
  saveIceServerUrls,
} from "./device/ice_servers_state.ts";

/** A `welcome` entry usable without a per-session credential: STUN, or fixed credentials. */
function usableAsIs(s: { urls: string | string[]; credential?: string }): boolean {
  const urls = typeof s.urls === "string" ? [s.urls] : s.urls;
  return s.credential !== undefined || urls.every((u) => u.startsWith("stun:"));
}

/** Version sent in `hello`. */
export const PUBLISHER_VERSION = "vigil-publisher/0.1";

/** Longest single setTimeout (≈24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

await runMain("publish", async () => {
  const log = consoleLogger;
  const o = await readPublishArgs(Deno.args);
  const state = await loadState(o.stateDir);
  const deviceId = state.config.deviceId;

  const hub = new FanoutHub();
  const source = createSource(o.source, { logger: log });
  await source.start();
  const pump = (async () => {
    for await (const au of source) hub.publish(au);
  })();

  let recorder: SegmentRecorder | null = null;
  let recordSub: { unsubscribe(): void } | null = null;
  let uploader: SegmentUploader | null = null;
  let snapshotter: Snapshotter | null = null;
  let snapSub: { unsubscribe(): void } | null = null;
  const connect = async (): Promise<UploadTarget> => {
    const st = await loadState(o.stateDir);
    return {
      baseUrl: deviceBaseUrl(st.config),
      deviceId: st.config.deviceId,
      client: mtlsClient(st),
    };
  };
  if (o.record) {
    recorder = new SegmentRecorder({
      dir: o.record.dir,
      fps: source.info.fps,
      segmentSeconds: o.record.segmentSeconds ?? 60,
      retention: {
        maxAgeMs: (o.record.maxAgeDays ?? 7) * 86_400_000,
        maxTotalBytes: (o.record.maxTotalMB ?? 1024) * 1024 * 1024,
      },
      logger: log,
      uploads: o.record.upload,
    });
    await recorder.start();
    const rec = recorder;
    recordSub = hub.subscribe((au) => rec.write(au), { maxQueue: 90 });
    log.info(`recording into ${o.record.dir}`);
    if (o.record.upload) {
      uploader = new SegmentUploader({
        dir: o.record.dir,
        kbps: o.record.uploadKbps,
        currentRun: () => rec.currentRun,
        connect,
        logger: log,
      });
      uploader.start();
      log.info(`uploading segments to the server (at most ${o.record.uploadKbps} kbit/s)`);
    }
  }
  // Camera-list snapshots: with recording by default, or on their own (--snapshots).
  if (o.snapshotSeconds > 0) {
    const snap = snapshotter = new Snapshotter({
      intervalMs: o.snapshotSeconds * 1000,
      connect,
      logger: log,
    });
    snapSub = hub.subscribe((au) => snap.write(au), { maxQueue: 30 });
    snap.start();
  }

  // werift (with its own X.509, curve and mDNS libraries) is ~25 MiB resident: it is
  // loaded when the first viewer's offer arrives, not while the camera waits for one.
  const grantedIceServers = await loadIceServerUrls(o.stateDir);
  const relayAddresses = relayAddressesOf(grantedIceServers);
  const relaunch = Promise.withResolvers<void>();
  let viewerPeer: Promise<typeof import("./peer/viewer_peer.ts")> | undefined;
  // deno-lint-ignore prefer-const
  let channel: DeviceChannel;
  const sessions = new SessionManager({
    maxViewers: o.maxViewers,
    createPeer: async (sdp, onClose, onConnected, iceServers) =>
      (await (viewerPeer ??= import("./peer/viewer_peer.ts"))).ViewerPeer.answer(sdp, {
        hub,
        // The offer's own (fresh TURN credential); welcome's entries only where usable as they are.
        iceServers: iceServers ?? channel.iceServers.filter(usableAsIs),
        interfaceAddresses: o.interfaceAddress ? { udp4: o.interfaceAddress } : undefined,
        // Sent to: the viewer networks and the granted TURN servers' relays, nothing else.
        remoteCandidates: { viewerNets: o.viewerNets, relayAddresses },
        additionalHostAddresses: o.interfaceAddress?.startsWith("127.")
          ? [o.interfaceAddress]
          : undefined,
        icePortRange: o.icePortRange,
        sendPath: o.sendPath,
        onClose,
        onConnected,
      }),
    onPeerConnected: (sessionId, pair) => {
      log.info(`session ${sessionId}: connected (${pair.local} → ${pair.remote})`);
      channel.sendConnected(sessionId, pair);
    },
    onPeerClosed: (sessionId, reason) => {
      log.info(`session ${sessionId}: ended (${reason})`);
      channel.sendClose(sessionId, reason);
    },
  });
  // Frame rate and bitrate of the source for the server's /metrics (a counting subscriber).
  const meter = new SourceMeter();
  const meterSub = hub.subscribe((au) => meter.add(au), { replay: false });
  channel = new DeviceChannel({
    loadState: () => loadState(o.stateDir),
    sessions,
    stats: () => statsReport(meter, sessions),
    camera: {
      ...(o.label ? { label: o.label } : {}),
      width: source.info.width,
      height: source.info.height,
      fps: source.info.fps,
    },
    maxViewers: o.maxViewers,
    version: PUBLISHER_VERSION,
    logger: log,
    // The launcher granted --allow-net to the servers stored last time; another list needs
    // other permissions: store it and exit for a relaunch (RELAUNCH_EXIT_CODE).
    onIceServers: (servers) => {
      const announced = announcedUrls(servers);
      if (!iceServersChanged(grantedIceServers, announced)) return;
      log.info(
        `the server's ICE servers changed (${announced.join(", ") || "none"}): ` +
          "restarting with permissions for them",
      );
      saveIceServerUrls(o.stateDir, announced)
        .then(() => relaunch.resolve())
        .catch((err) => log.warn(`cannot store the ICE servers: ${oneLine(err)}`));
    },
  });
  channel.start();
  log.info(
    `publisher ${deviceId}: source ${o.source.kind}, up to ${o.maxViewers} viewers ` +
      `(Deno ${Deno.version.deno}, ${Deno.build.os}/${Deno.build.arch})`,
  );

  // Renewal at 2/3 of the certificate's lifetime, then reconnect with the new cert.
  let renewTimer: ReturnType<typeof setTimeout> | undefined;
  const scheduleRenewal = async (retryMs?: number) => {
    const info = certValidity((await loadState(o.stateDir)).certPem);
    const due = retryMs !== undefined
      ? Date.now() + retryMs
      : renewDueAt(info.notBefore, info.notAfter).getTime();
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, due - Date.now()));
    log.info(
      `certificate valid until ${info.notAfter.toISOString()}; renewal in ${
        Math.round(delay / 1000)
      } s`,
    );
    renewTimer = setTimeout(async () => {
      try {
        const r = await renew(o.stateDir);
        log.info(`certificate renewed (${r.serial}, until ${r.notAfter}); reconnecting`);
        channel.reconnect();
        await scheduleRenewal();
      } catch (err) {
        log.warn(`renewal failed: ${oneLine(err)}; retrying in 60 s`);
        await scheduleRenewal(60_000);
      }
    }, delay);
  };
  await scheduleRenewal();

  // Clean shutdown.
  let stopping = false;
  const done = Promise.withResolvers<number>();
  const shutdown = async (signal: Deno.Signal | "relaunch") => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    clearTimeout(renewTimer);
    await sessions.closeAll("publisher shutting down");
    channel.stop();
    recordSub?.unsubscribe();
    meterSub.unsubscribe();
    await uploader?.stop();
    snapSub?.unsubscribe();
    snapshotter?.stop();
    await source.stop();
    await pump.catch(() => {});
    if (recorder) await recorder.stop();
    done.resolve(signal === "relaunch" ? RELAUNCH_EXIT_CODE : signal === "SIGINT" ? 130 : 143);
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => void shutdown(sig));
  }
  relaunch.promise.then(() => shutdown("relaunch"));
  const code = await done.promise;
  log.info("stopped");
  Deno.exit(code === 130 || code === 143 ? 0 : code);
});

/**
 * The server's Prometheus metrics (prom-client, one registry per server so
 * that tests can run several in a process). Gauges are read when scraped
 * from their sources (store, presence, sessions, the publishers' `stats`
 * reports); counters follow events: WHEP setups from the WHEP route,
 * authentication refusals from the audit log's refusal events
 * ({@linkcode refusalReason}). Label values come from code, never from
 * free text, and are capped ({@linkcode MAX_REASONS}).
 *
 * @example
 * ```ts
 * const m = new ServerMetrics({ devices, sessionsActive, cameraStats, recordings });
 * m.whepSetup("ok", 0.081);
 * const text = await m.text(); // Prometheus text format 0.0.4
 * ```
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CameraStats } from "../devices/hub.ts";
import type { RecordingUsage } from "../store/store.ts";

/** Distinct refusal reasons kept as labels; later ones count as `other`. */
export const MAX_REASONS = 64;

/** What the gauges read at scrape time. */
export interface MetricSources {
  /** Devices holding a valid certificate, and those of them online (cluster-wide presence). */
  devices(): Promise<{ enrolled: number; online: number }>;
  /** Live WHEP sessions on this node. */
  sessionsActive(): number;
  /** The last `stats` report of each camera connected to this node. */
  cameraStats(): { camera: string; stats: CameraStats }[];
  /** Each camera's stored recordings (the index is the cluster's shared store). */
  recordings(): Promise<RecordingUsage[]>;
}

/**
 * The `reason` label of an audit event that is an authentication or
 * authorization refusal, or null for any other event. Pure.
 */
export function refusalReason(event: string, fields: Record<string, unknown>): string | null {
  const kinds: Record<string, string> = {
    "token.refused": "token",
    "login.failure": "login",
    "refresh.refused": "refresh",
    "mtls.refused": "mtls",
    "admin.refused": "admin",
    "metrics.refused": "metrics",
    "enroll.failure": "enroll",
  };
  if (event === "login.throttled") return "login: throttled";
  if (event === "enroll.throttled") return "enroll: throttled";
  const kind = kinds[event];
  if (!kind) return null;
  const reason = typeof fields.reason === "string" ? fields.reason : "unknown";
  return `${kind}: ${reason}`.slice(0, 80);
}

const SETUP_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The metrics of one server. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly #setups: Counter<"result">;
  readonly #setupSeconds: Histogram;
  readonly #refusals: Counter<"reason">;
  readonly #reasons = new Set<string>();

  constructor(src: MetricSources) {
    const registers = [this.registry];
    // One read of the store per scrape serves both device gauges.
    let devices: Promise<{ enrolled: number; online: number }> | null = null;
    const readDevices = () => devices ??= src.devices().finally(() => devices = null);
    new Gauge({
      name: "vigil_devices_enrolled",
      help: "Devices holding a valid, unrevoked certificate.",
      registers,
      async collect() {
        this.set((await readDevices()).enrolled);
      },
    });
    new Gauge({
      name: "vigil_devices_online",
      help: "Enrolled devices with a live channel (to any node).",
      registers,
      async collect() {
        this.set((await readDevices()).online);
      },
    });
    new Gauge({
      name: "vigil_whep_sessions_active",
      help: "Live WHEP viewing sessions on this node.",
      registers,
      collect() {
        this.set(src.sessionsActive());
      },
    });
    this.#setups = new Counter({
      name: "vigil_whep_setups_total",
      help: "WHEP offers (POST /whep/:camera) by result: ok, or the error code answered.",
      labelNames: ["result"],
      registers,
    });
    this.#setupSeconds = new Histogram({
      name: "vigil_whep_setup_seconds",
      help: "Time from a WHEP offer's arrival to the server's answer (201 or refusal).",
      buckets: SETUP_BUCKETS,
      registers,
    });
    this.#refusals = new Counter({
      name: "vigil_auth_refusals_total",
      help: "Refused credentials and authorizations, by kind and reason (see the audit log).",
      labelNames: ["reason"],
      registers,
    });

    // Per camera, from the publishers' reports; a camera's series end when it leaves.
    const perCamera = (pick: (s: CameraStats) => number) =>
      function (this: { reset(): void; set(l: { camera: string }, v: number): void }) {
        this.reset();
        for (const { camera, stats } of src.cameraStats()) this.set({ camera }, pick(stats));
      };
    const perCameraCounter = (pick: (s: CameraStats) => number) =>
      function (this: { reset(): void; inc(l: { camera: string }, v: number): void }) {
        // Totals since the publisher started: a restart shows as a counter reset.
        this.reset();
        for (const { camera, stats } of src.cameraStats()) this.inc({ camera }, pick(stats));
      };
    const camera = ["camera"] as const;
    new Gauge({
      name: "vigil_camera_viewers",
      help: "Viewers the camera's publisher is sending to.",
      labelNames: camera,
      registers,
      collect: perCamera((s) => s.viewers),
    });
    new Gauge({
      name: "vigil_camera_bitrate_bits_per_second",
      help: "The camera's video bitrate as its publisher encodes or reads it.",
      labelNames: camera,
      registers,
      collect: perCamera((s) => s.bitrateBps),
    });
    new Gauge({
      name: "vigil_camera_frames_per_second",
      help: "Frames per second leaving the camera's source.",
      labelNames: camera,
      registers,
      collect: perCamera((s) => s.fps),
    });
    new Counter({
      name: "vigil_camera_packets_lost_total",
      help:
        "RTP packets lost towards viewers, from their RTCP receiver reports, since the publisher started.",
      labelNames: camera,
      registers,
      collect: perCameraCounter((s) => s.packetsLost),
    });
    new Counter({
      name: "vigil_publisher_cpu_seconds_total",
      help: "CPU time (user + system) of the camera's publisher process.",
      labelNames: camera,
      registers,
      collect: perCameraCounter((s) => s.cpuSeconds),
    });
    new Gauge({
      name: "vigil_publisher_resident_memory_bytes",
      help: "Resident memory of the camera's publisher process.",
      labelNames: camera,
      registers,
      collect: perCamera((s) => s.rssBytes),
    });

    // Stored footage per camera, read from the index once per scrape for both gauges.
    let usage: Promise<RecordingUsage[]> | null = null;
    const readUsage = () => usage ??= src.recordings().finally(() => usage = null);
    const perCameraUsage = (pick: (u: RecordingUsage) => number) =>
      async function (this: { reset(): void; set(l: { camera: string }, v: number): void }) {
        const list = await readUsage();
        this.reset();
        for (const u of list) this.set({ camera: u.camera }, pick(u));
      };
    new Gauge({
      name: "vigil_recordings_bytes",
      help: "Bytes of the camera's stored recordings (retention deletes the oldest first).",
      labelNames: camera,
      registers,
      collect: perCameraUsage((u) => u.bytes),
    });
    new Gauge({
      name: "vigil_recordings_segments",
      help: "Stored recording segments of the camera.",
      labelNames: camera,
      registers,
      collect: perCameraUsage((u) => u.segments),
    });
  }

  /** One WHEP offer answered: `ok` or its error code, after `seconds`. */
  whepSetup(result: string, seconds: number): void {
    this.#setups.inc({ result });
    this.#setupSeconds.observe(seconds);
  }

  /** One refusal (a label from {@linkcode refusalReason}). */
  authRefusal(reason: string): void {
    if (!this.#reasons.has(reason)) {
      if (this.#reasons.size >= MAX_REASONS) reason = "other";
      else this.#reasons.add(reason);
    }
    this.#refusals.inc({ reason });
  }

  /** Feeds an audit event (refusals are counted). */
  observeAudit(event: string, fields: Record<string, unknown>): void {
    const reason = refusalReason(event, fields);
    if (reason) this.authRefusal(reason);
  }

  /** The exposition's content type (text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

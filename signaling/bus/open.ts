/**
 * Opens the bus the settings name: in-process (the default), or NATS
 * (`--bus`), with the user's password from `--bus-password-file` or
 * `VIGIL_BUS_PASSWORD` (or an nkey seed from `--bus-nkey-file`) and the
 * servers' CA from `--bus-ca`.
 * @module
 */
import { readSecret } from "../store/open.ts";
import { type EventBus, InProcessBus } from "./bus.ts";
import type { BusHealth } from "./nats_bus.ts";
import { parseNatsUrl } from "./nats_url.ts";

/** The settings that say where the bus is. */
export interface BusSettings {
  bus: string | null;
  busPasswordFile: string | null;
  busCaFile: string | null;
  busNkeyFile: string | null;
  nodeId: string | null;
}

/** A bus with what readiness and resynchronization need (in-process: always connected). */
export interface OpenedBus {
  bus: EventBus;
  kind: "in-process" | "nats";
  health(): BusHealth;
  onStateChange(fn: (h: BusHealth) => void): () => void;
  close(): Promise<void>;
}

/** Opens the bus; a NATS bus that cannot connect at first is an error that names the servers. */
export async function openBus(s: BusSettings, nodeId: string): Promise<OpenedBus> {
  if (!s.bus) {
    const since = Date.now();
    return {
      bus: new InProcessBus(),
      kind: "in-process",
      health: () => ({ state: "connected", since, reconnects: 0, dropped: 0 }),
      onStateChange: () => () => {},
      close: () => Promise.resolve(),
    };
  }
  const t = parseNatsUrl(s.bus);
  const password = t.user
    ? await readSecret(
      s.busPasswordFile,
      "VIGIL_BUS_PASSWORD",
      "bus password (--bus-password-file)",
    )
    : undefined;
  const nkeySeed = s.busNkeyFile
    ? await readSecret(s.busNkeyFile, "", "bus nkey seed (--bus-nkey-file)")
    : undefined;
  const caPem = s.busCaFile ? await Deno.readTextFile(s.busCaFile) : undefined;
  const { NatsBus } = await import("./nats_bus.ts");
  const bus = await NatsBus.connect({
    servers: t.servers,
    user: t.user,
    password,
    nkeySeed,
    caPem,
    nodeId,
  });
  return {
    bus,
    kind: "nats",
    health: () => bus.health(),
    onStateChange: (fn) => bus.onStateChange(fn),
    close: () => bus.close(),
  };
}

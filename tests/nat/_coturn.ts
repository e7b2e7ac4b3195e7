/**
 * Starts a real coturn inside the topology's public namespace with the
 * project's shipped configuration, rendered for the simulated internet by
 * signaling/turn/coturn_config.ts.
 * @module
 */
import { loadCoturnTemplate, renderCoturnConfig } from "../../signaling/turn/coturn_config.ts";
import { writeSecretFile } from "../../pki/files.ts";
import { ensureTurnSecret } from "../../signaling/turn/secret.ts";
import { ADDR, type Topology } from "./_topology.ts";

/** A running coturn. */
export interface Coturn {
  /** `203.0.113.10:<port>`. */
  address: string;
  secret: string;
  realm: string;
  /** Its log so far (usernames appear there, passwords never). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** Options of {@linkcode startCoturn}. */
export interface CoturnOptions {
  /** Directory for the secret, the generated config, the log and coturn's state. */
  dir: string;
  listeningPort?: number;
  minPort?: number;
  maxPort?: number;
  /** The operator's opt-in for relay-to-relay (`turn:config --relay-to-self`). */
  relayToSelf?: boolean;
  /**
   * Test-only lines appended after the generated config (e.g. short
   * lifetimes to reach refresh paths in seconds). Never used for the
   * hardening checks, which run the shipped configuration as is.
   */
  testOverrides?: string[];
}

/** Renders the config (0600), starts `turnserver` in "pub" and waits until it serves. */
export async function startCoturn(topo: Topology, o: CoturnOptions): Promise<Coturn> {
  const port = o.listeningPort ?? 3478;
  const secret = await ensureTurnSecret(`${o.dir}/turn-secret`);
  const realm = "vigil.test";
  const logFile = `${o.dir}/turnserver.log`;
  let text = renderCoturnConfig(await loadCoturnTemplate(), {
    realm,
    listeningIps: [ADDR.pub],
    listeningPort: port,
    minPort: o.minPort ?? 49152,
    maxPort: o.maxPort ?? 49407,
    // The server's own networks; its public address and loopback are added/denied anyway.
    ownAddresses: [`${ADDR.pubPrivate}/24`],
    secret,
    stateDir: o.dir,
    logFile,
    relayToSelf: o.relayToSelf ?? false,
  });
  if (o.testOverrides?.length) {
    text += `# test-only overrides\n${o.testOverrides.join("\n")}\n`;
  }
  const confPath = `${o.dir}/turnserver.conf`;
  await writeSecretFile(confPath, text);
  const child = topo.spawn("pub", "turnserver", ["-c", confPath], {
    stdout: "null",
    stderr: "null",
    stdin: "null",
  });
  const readLog = () => Deno.readTextFile(logFile).catch(() => "");
  const deadline = Date.now() + 15_000;
  // coturn logs one "turn server id=N created" per relay thread once it serves.
  while (!/turn server id=\d+ created/.test(await readLog())) {
    if (Date.now() > deadline) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      throw new Error(`coturn did not start within 15 s:\n${(await readLog()).slice(-2000)}`);
    }
    const exited = await Promise.race([
      child.status.then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 100)),
    ]);
    if (exited) throw new Error(`coturn exited:\n${(await readLog()).slice(-2000)}`);
  }
  return {
    address: `${ADDR.pub}:${port}`,
    secret,
    realm,
    log: readLog,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5_000);
      await child.status;
      clearTimeout(timer);
    },
  };
}

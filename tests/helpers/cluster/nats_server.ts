/**
 * A real nats-server (Debian's 2.9) for a test: loopback, a port it picks
 * itself (reported in its ports file), optional user/password auth and TLS
 * with a certificate from vigil's own CA. The config file (it holds the
 * password) and the key are 0600 in a private temporary directory.
 *
 * @example
 * ```ts
 * await using nats = await startNats({ auth: true, tls: true });
 * const nc = await connect({ servers: nats.url, user: nats.user, pass: nats.password,
 *   tls: { ca: nats.caPem } });
 * ```
 * @module
 */
import { nkeys } from "@nats-io/transport-node";
import { createRootCa, issueServerCertificate, loadCa, writeSecretFile } from "../../../pki/mod.ts";
import { clientPortFromPortsFile, natsConfig } from "./nats_config.ts";
import {
  canConnect,
  randomSecret,
  serviceDir,
  type ServiceProcess,
  spawnService,
  waitReady,
} from "./service.ts";

/** Options of {@link startNats}. */
export interface StartNatsOptions {
  /** Require user `vigil` with a random password. */
  auth?: boolean;
  /** Require TLS (server certificate for 127.0.0.1 and localhost from a fresh CA). */
  tls?: boolean;
  /** Require an nkey user instead (its seed in a 0600 file, `nkeySeedFile`). */
  nkey?: boolean;
}

/** A running nats-server; `close()` (or `await using`) stops it and removes its files. */
export interface NatsServer extends AsyncDisposable {
  readonly port: number;
  /** `nats://127.0.0.1:PORT` (or `tls://…` with TLS). */
  readonly url: string;
  readonly user?: string;
  readonly password?: string;
  /** 0600 file with the password (what a node would be given). */
  readonly passwordFile?: string;
  /** The CA that signed the server certificate (PEM), with TLS. */
  readonly caPem?: string;
  /** The CA file path, with TLS. */
  readonly caFile?: string;
  /** 0600 file with the nkey user's seed (`SU…`), with `nkey`. */
  readonly nkeySeedFile?: string;
  /** The generated config file (0600: it holds the password). */
  readonly configFile: string;
  readonly running: boolean;
  /** Stops the server (SIGTERM, or SIGKILL with `kill`); `start()` brings it back on the same port. */
  stop(o?: { kill?: boolean }): Promise<void>;
  start(): Promise<void>;
  output(): string;
  close(): Promise<void>;
}

async function readPort(dir: string, pid: number): Promise<number | null> {
  try {
    return clientPortFromPortsFile(await Deno.readTextFile(`${dir}/nats-server_${pid}.ports`));
  } catch {
    return null;
  }
}

/** Starts nats-server and waits until it accepts clients. */
export async function startNats(o: StartNatsOptions = {}): Promise<NatsServer> {
  const dir = await serviceDir("nats");
  let proc: ServiceProcess | undefined;
  try {
    let tls: { certFile: string; keyFile: string } | undefined;
    let caPem: string | undefined;
    let caFile: string | undefined;
    if (o.tls) {
      const root = await createRootCa({ commonName: "vigil test NATS CA" });
      const server = await issueServerCertificate(await loadCa(root.certPem, root.keyPem), {
        dnsNames: ["localhost"],
        ipAddresses: ["127.0.0.1"],
      });
      tls = { certFile: `${dir}/server.pem`, keyFile: `${dir}/server.key` };
      caPem = root.certPem;
      caFile = `${dir}/ca.pem`;
      await Deno.writeTextFile(tls.certFile, server.certPem);
      await writeSecretFile(tls.keyFile, server.keyPem);
      await Deno.writeTextFile(caFile, caPem);
    }
    const password = o.auth ? randomSecret() : undefined;
    const nkeyUser = o.nkey ? nkeys.createUser() : undefined;
    const nkeySeedFile = nkeyUser ? `${dir}/nkey.seed` : undefined;
    if (nkeyUser && nkeySeedFile) {
      await writeSecretFile(nkeySeedFile, new TextDecoder().decode(nkeyUser.getSeed()));
    }
    const passwordFile = password ? `${dir}/nats.password` : undefined;
    if (passwordFile && password) await writeSecretFile(passwordFile, password);
    const conf = `${dir}/nats.conf`;
    const writeConf = (port: number) =>
      writeSecretFile(
        conf,
        natsConfig({
          port,
          portsFileDir: dir,
          auth: nkeyUser
            ? { nkey: nkeyUser.getPublicKey() }
            : password
            ? { user: "vigil", password }
            : undefined,
          tls,
        }),
      );
    const launch = async () => {
      const p = spawnService("nats-server", ["-c", conf]);
      let found: number | null = null;
      await waitReady(p, "nats-server", async () => {
        found ??= await readPort(dir, p.pid);
        return found !== null && await canConnect(found);
      });
      return { p, port: found as unknown as number };
    };
    await writeConf(-1);
    const first = await launch();
    proc = first.p;
    const port = first.port;
    // A restart must come back where the clients reconnect to.
    await writeConf(port);
    const close = async () => {
      await proc?.stop("SIGTERM");
      await Deno.remove(dir, { recursive: true });
    };
    return {
      port,
      url: `${tls ? "tls" : "nats"}://127.0.0.1:${port}`,
      user: password ? "vigil" : undefined,
      password,
      passwordFile,
      caPem,
      caFile,
      nkeySeedFile,
      configFile: conf,
      get running() {
        return proc !== undefined && !proc.done;
      },
      async stop(s = {}) {
        await proc?.stop(s.kill ? "SIGKILL" : "SIGTERM");
      },
      async start() {
        if (proc && !proc.done) return;
        proc = (await launch()).p;
      },
      output: () => proc?.output() ?? "",
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (err) {
    await proc?.stop("SIGKILL");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
}

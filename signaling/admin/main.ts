/**
 * Operator CLI: `device:add|device:list|device:revoke|user:add|user:set|
 * user:list|user:remove|user:passwd|keys:rotate|pki:init`, and with `--remote`
 * the same (but the key commands) plus `session:list|session:end|audit:list`
 * through a server's admin API. Run through `scripts/admin.ts` with the flags
 * of `adminFlags` (options.ts): the data dir only, or the remote server only.
 * @module
 */
import { runMain, UsageError } from "../../lib/cli.ts";
import {
  addDevice,
  type AdminTarget,
  deviceList,
  deviceRevoke,
  openDataDir,
  parseCameras,
  parseRecordings,
  userAdd,
  userList,
  userPasswd,
  userRemove,
  userSet,
} from "./commands.ts";
import { ADMIN_USAGE, type AdminOptions, readAdminArgs } from "./options.ts";
import { ensurePki } from "../certs/pki_state.ts";
import { type PrivateKeySource, rotateJwtKey } from "../auth/jwt_keys.ts";
import { loadKek } from "../auth/kek.ts";
import { sealedKeySource } from "../certs/shared_keys.ts";
import { serverNames } from "../certs/server_names.ts";
import { renderUnicodeCompact } from "uqr";
import { openAdminApi } from "./remote.ts";
import { runRemote } from "./remote_commands.ts";

async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin || !Deno.stdin.isTerminal()) {
    const text = await new Response(Deno.stdin.readable).text();
    return text.replace(/\r?\n$/, "");
  }
  const a = await ask("password: ");
  const b = await ask("again: ");
  if (a !== b) throw new UsageError("the passwords differ");
  return a;
}

/** Reads a line at the terminal without echoing it. */
async function ask(label: string): Promise<string> {
  await Deno.stdout.write(new TextEncoder().encode(label));
  Deno.stdin.setRaw(true);
  const buf = new Uint8Array(1);
  let out = "";
  try {
    while ((await Deno.stdin.read(buf)) === 1 && buf[0] !== 13 && buf[0] !== 10) {
      if (buf[0] === 3) throw new Error("cancelled");
      if (buf[0] === 127) out = out.slice(0, -1);
      else out += String.fromCharCode(buf[0]);
    }
  } finally {
    Deno.stdin.setRaw(false);
    console.log();
  }
  return out;
}

/** The `--login` account's password: the file's first line, else asked at the terminal. */
async function loginPassword(file: string | null, name: string): Promise<string> {
  if (file) return (await Deno.readTextFile(file)).split(/\r?\n/)[0];
  if (!Deno.stdin.isTerminal()) {
    throw new UsageError("--login needs --login-password-file FILE when not run at a terminal");
  }
  return await ask(`password of ${name}: `);
}

/** Runs the command through the `--remote` server's admin API. */
async function remote(o: AdminOptions) {
  const r = o.remote!;
  const api = await openAdminApi({
    url: r.url,
    caPem: r.caFile ? await Deno.readTextFile(r.caFile) : null,
    ...(r.tokenFile
      ? { token: (await Deno.readTextFile(r.tokenFile)).trim() }
      : { login: r.login!, password: await loginPassword(r.loginPasswordFile, r.login!) }),
  });
  try {
    const out = await runRemote(api, o.command, o.positionals, {
      label: o.label,
      ttlMs: o.ttlFlag ? o.ttlMs : undefined,
      serverUrl: o.serverUrl,
      cameras: o.cameras,
      recordings: o.recordings,
      admin: o.admin,
      audit: o.audit,
      password: () => readPassword(o.passwordStdin),
    });
    console.log(o.json ? JSON.stringify(out.data, null, 2) : out.text);
    const cmd = (out.data as { command?: unknown }).command;
    if (o.qr && !o.json && typeof cmd === "string") console.log(renderUnicodeCompact(cmd));
  } finally {
    await api.close();
  }
}

/** `https://<this host's name>:<port>`: what devices most likely reach. */
function defaultServerUrl(o: AdminOptions): string {
  const { dnsNames } = serverNames(o.server);
  const host = dnsNames.find((n) => n !== "localhost") ?? "localhost";
  return `https://${host}:${o.server.port}`;
}

await runMain("vigil", async () => {
  const o = await readAdminArgs(Deno.args);
  const { command, positionals } = o;
  // The commands' state: the data dir, or the cluster's store (commands.ts).
  const dataDir: AdminTarget = o.store
    ? {
      dataDir: o.dataDir,
      store: o.store,
      storePasswordFile: o.storePasswordFile,
      storeTls: o.storeTls,
      storeCaFile: o.storeCaFile,
      storeCertFile: o.storeCertFile,
      storeKeyFile: o.storeKeyFile,
    }
    : o.dataDir;
  if (!command) {
    console.log(ADMIN_USAGE.trim());
    return;
  }
  if (o.remote) return await remote(o);
  const arg = () => {
    if (positionals.length !== 1) {
      throw new UsageError(`${command} takes exactly one name (see --help)`);
    }
    return positionals[0];
  };
  const print = (data: unknown, text: string) =>
    console.log(o.json ? JSON.stringify(data, null, 2) : text);

  switch (command) {
    case "device:add": {
      const r = await addDevice(dataDir, {
        id: arg(),
        label: o.label,
        ttlMs: o.ttlMs,
        serverUrl: o.serverUrl ?? defaultServerUrl(o),
      });
      print(
        r,
        [
          `device "${r.deviceId}" registered; its enrollment token expires ${r.expiresAt} and works once.`,
          `CA fingerprint (SHA-256): ${r.caFingerprint}`,
          "Run on the Pi:",
          `  ${r.command}`,
        ].join("\n"),
      );
      if (o.qr && !o.json) console.log(renderUnicodeCompact(r.command));
      break;
    }
    case "device:list": {
      const list = await deviceList(dataDir);
      print(
        list,
        list.length === 0
          ? "no devices"
          : list.map((d) =>
            `${d.id}\t${d.state}${
              d.certificateExpires ? `\tcert until ${d.certificateExpires}` : ""
            }`
          ).join("\n"),
      );
      break;
    }
    case "device:revoke": {
      const r = await deviceRevoke(dataDir, arg());
      print(
        r,
        `device "${r.deviceId}" revoked (${r.revokedSerials.length} certificate(s)); a running server closes its connections within 1 s`,
      );
      break;
    }
    case "user:add": {
      const name = arg();
      if (!o.cameras) throw new UsageError("user:add needs --cameras id1,id2 or --cameras '*'");
      const cameras = parseCameras(o.cameras);
      const recordings = o.recordings !== undefined ? parseRecordings(o.recordings) : [];
      const r = await userAdd(dataDir, {
        name,
        cameras,
        recordings,
        admin: o.admin,
        password: await readPassword(o.passwordStdin),
      });
      print(
        r,
        `user "${r.name}" added${r.role === "admin" ? " as an admin" : ""}; may watch ${
          r.cameras.join(", ")
        } live, recordings of ${r.recordings.join(", ") || "none"}`,
      );
      break;
    }
    case "user:set": {
      const name = arg();
      const r = await userSet(dataDir, name, {
        cameras: o.cameras !== undefined ? parseCameras(o.cameras) : undefined,
        recordings: o.recordings !== undefined ? parseRecordings(o.recordings) : undefined,
        admin: o.admin,
      });
      print(
        r,
        `user "${r.name}" (${r.role}) may now watch ${
          r.cameras.join(", ") || "nothing"
        } live, recordings of ${r.recordings.join(", ") || "none"}`,
      );
      break;
    }
    case "user:list": {
      const list = await userList(dataDir);
      print(
        list,
        list.length === 0
          ? "no users"
          : list.map((u) =>
            `${u.name}\t${u.role}\tlive: ${u.cameras.join(",")}\trecordings: ${
              u.recordings.join(",") || "none"
            }`
          ).join("\n"),
      );
      break;
    }
    case "user:remove": {
      const r = await userRemove(dataDir, arg());
      print(r, `user "${r.removed}" removed; their sessions are ended`);
      break;
    }
    case "user:passwd": {
      const name = arg();
      const r = await userPasswd(dataDir, name, await readPassword(o.passwordStdin));
      print(r, `password of "${r.name}" changed; their sessions are ended`);
      break;
    }
    case "keys:rotate": {
      const db = await openDataDir(dataDir);
      try {
        let keys: string | PrivateKeySource = o.dataDir;
        if (o.store) {
          if (!o.kekFile) throw new UsageError("keys:rotate in a cluster needs --kek-file");
          keys = sealedKeySource(db, await loadKek(o.kekFile));
        }
        const kid = await rotateJwtKey(db, keys);
        print(
          { kid },
          `new JWT signing key ${kid}; running servers sign with it within a second (old keys verify until their tokens expire)`,
        );
      } finally {
        await db.close();
      }
      break;
    }
    case "pki:init": {
      if (o.store) {
        throw new UsageError("pki:init is for one server: a cluster's first node creates the CA");
      }
      const names = serverNames({ ...o.server, san: [...o.server.san, ...o.san] });
      await Deno.mkdir(o.dataDir, { recursive: true, mode: 0o700 });
      const p = await ensurePki(o.dataDir, names);
      print(
        { caFingerprint: p.caFingerprint, createdCa: p.createdCa, renewedServer: p.renewedServer },
        [
          p.createdCa ? "created the root CA" : "the root CA exists",
          p.renewedServer ? "issued a server certificate" : "the server certificate is current",
          `CA fingerprint (SHA-256): ${p.caFingerprint}`,
        ].join("\n"),
      );
      break;
    }
    default:
      throw new UsageError(`unknown command "${command}" (see --help)`);
  }
});

/**
 * Operator CLI: `device:add|device:list|device:revoke|user:add|user:list|
 * user:remove|user:passwd|pki:init`. Run through `scripts/admin.ts`, which
 * grants it only the data dir.
 * @module
 */
import { resolve } from "node:path";
import { parseCli, parseDuration, runMain, UsageError } from "../../lib/cli.ts";
import {
  addDevice,
  deviceList,
  deviceRevoke,
  openDataDir,
  parseCameras,
  userAdd,
  userList,
  userPasswd,
  userRemove,
} from "./commands.ts";
import { ensurePki } from "../certs/pki_state.ts";
import { rotateJwtKey } from "../auth/jwt_keys.ts";
import { makeConfig } from "../config/settings.ts";
import { serverNames } from "../certs/server_names.ts";

const USAGE = `
vigil operator commands (all accept --data-dir DIR, default ./data, and --json):

  deno task device:add <id> [--label TEXT] [--ttl 15m] [--server-url URL]
      register a camera; prints a one-time enrollment token and the command to run on the Pi
  deno task device:list                     devices and their certificate state
  deno task device:revoke <id>              revoke a device's certificates; live connections close within 1 s
  deno task user:add <name> --cameras id1,id2|'*' [--password-stdin]
  deno task user:list
  deno task user:remove <name>
  deno task user:passwd <name> [--password-stdin]
  deno task keys:rotate                     new JWT signing key; a running server picks it up on restart
  deno task pki:init [--san NAME]...        create the CA, server certificate (done by serve on first start)
`;

const OPTIONS = {
  "data-dir": { type: "string" },
  json: { type: "boolean" },
  label: { type: "string" },
  ttl: { type: "string" },
  "server-url": { type: "string" },
  cameras: { type: "string" },
  "password-stdin": { type: "boolean" },
  san: { type: "string", multiple: true },
} as const;

async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin || !Deno.stdin.isTerminal()) {
    const text = await new Response(Deno.stdin.readable).text();
    return text.replace(/\r?\n$/, "");
  }
  const ask = async (label: string) => {
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
  };
  const a = await ask("password: ");
  const b = await ask("again: ");
  if (a !== b) throw new UsageError("the passwords differ");
  return a;
}

function defaultServerUrl(): string {
  const { dnsNames } = serverNames(makeConfig());
  const host = dnsNames.find((n) => n !== "localhost") ?? "localhost";
  return `https://${host}:8443`;
}

await runMain("vigil", async () => {
  const [command, ...rest] = Deno.args;
  if (!command || command === "--help" || command === "-h") {
    console.log(USAGE.trim());
    return;
  }
  const { values: v, positionals } = parseCli(rest, {
    name: command,
    usage: USAGE,
    options: OPTIONS,
    positionals: true,
  });
  const dataDir = resolve(v["data-dir"] ?? "./data");
  const arg = () => {
    if (positionals.length !== 1) {
      throw new UsageError(`${command} takes exactly one name (see --help)`);
    }
    return positionals[0];
  };
  const print = (data: unknown, text: string) =>
    console.log(v.json ? JSON.stringify(data, null, 2) : text);

  switch (command) {
    case "device:add": {
      const r = await addDevice(dataDir, {
        id: arg(),
        label: v.label,
        ttlMs: parseDuration(v.ttl ?? "15m"),
        serverUrl: v["server-url"] ?? defaultServerUrl(),
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
      if (!v.cameras) throw new UsageError("user:add needs --cameras id1,id2 or --cameras '*'");
      const cameras = parseCameras(v.cameras);
      const r = await userAdd(dataDir, {
        name,
        cameras,
        password: await readPassword(!!v["password-stdin"]),
      });
      print(r, `user "${r.name}" added; may watch ${r.cameras.join(", ")}`);
      break;
    }
    case "user:list": {
      const list = await userList(dataDir);
      print(
        list,
        list.length === 0
          ? "no users"
          : list.map((u) => `${u.name}\t${u.cameras.join(",")}`).join("\n"),
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
      const r = await userPasswd(dataDir, name, await readPassword(!!v["password-stdin"]));
      print(r, `password of "${r.name}" changed; their sessions are ended`);
      break;
    }
    case "keys:rotate": {
      const db = await openDataDir(dataDir);
      try {
        const kid = await rotateJwtKey(db, dataDir);
        print(
          { kid },
          `new JWT signing key ${kid}; restart the server to sign with it (old keys verify until their tokens expire)`,
        );
      } finally {
        db.close();
      }
      break;
    }
    case "pki:init": {
      const sans = v.san ?? [];
      const names = serverNames(
        makeConfig({
          sanDns: sans.filter((s) => !/^[\d.:]+$/.test(s)),
          sanIp: sans.filter((s) => /^[\d.:]+$/.test(s)),
        }),
      );
      await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
      const p = await ensurePki(dataDir, names);
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

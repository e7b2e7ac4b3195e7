/**
 * `deno task demo`: the whole system on one machine, through the real flows.
 * Builds the viewer, starts the server (least-privilege flags), registers and
 * enrolls a demo camera with a one-time token, creates a viewer account with a
 * generated password, and runs a publisher with the `file` source. Running it
 * again reuses what exists. Ctrl-C stops everything.
 * @module
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCli, runMain } from "../lib/cli.ts";
import { parsePort } from "../lib/port.ts";
import { adminFlags, parseAdminArgs } from "../signaling/admin/options.ts";
import { serverFlags } from "../signaling/config/flags.ts";
import { parseServeArgs } from "../signaling/config/options.ts";
import { publisherFlags } from "../publisher/config/flags.ts";
import { chooseInterfaceAddress, localViewerNetArgs } from "../publisher/config/local_networks.ts";
import { parsePublishArgs } from "../publisher/config/options.ts";
import { publisherRuntimeEnv } from "../publisher/config/runtime_flags.ts";
import { enrollFlags, parseEnrollArgs } from "../publisher/device/enroll_options.ts";
import { loadState } from "../publisher/device/state.ts";
import { sourceBinary } from "../publisher/sources/mod.ts";

const USAGE = `
deno task demo [--dir DIR] [--port N] [--device-port N]

Runs a complete vigil on this machine: server, an enrolled demo camera (file source) and a
viewer account. Prints the URL and the login. State is kept in DIR (default ./demo-data) and
reused on the next run. Ctrl-C stops everything.
`;

const children: Deno.ChildProcess[] = [];
const step = (text: string) => console.log(`demo: ${text}`);
/** A program of this repository, e.g. `signaling/main.ts`. */
const program = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

function deno(
  args: string[],
  opts: { stdin?: "piped" | "null"; env?: Record<string, string> } = {},
) {
  return new Deno.Command("deno", {
    args,
    env: opts.env,
    stdin: opts.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs a short deno command to completion; throws with its stderr on failure. */
async function run(args: string[], input?: string): Promise<string> {
  const child = deno(args, { stdin: input !== undefined ? "piped" : "null" });
  if (input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(input));
    await w.close();
  }
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").filter((l) =>
      !l.startsWith("npm warn")
    ).slice(-3).join(" | ");
    throw new Error(`${args.find((a) => a.endsWith(".ts")) ?? args.join(" ")} failed: ${err}`);
  }
  return text;
}

/** Starts a long-running child and resolves when its output matches `ready`. */
async function start(
  name: string,
  args: string[],
  ready: RegExp,
  env?: Record<string, string>,
  timeoutMs = 60_000,
): Promise<Deno.ChildProcess> {
  const child = deno(args, { env });
  children.push(child);
  const decoder = new TextDecoder();
  let seen = "";
  let resolveReady!: () => void;
  const readyP = new Promise<void>((r) => resolveReady = r);
  const pump = async (stream: ReadableStream<Uint8Array>, isErr: boolean) => {
    for await (const chunk of stream) {
      const text = decoder.decode(chunk);
      seen += text;
      for (const line of text.split("\n").filter((l) => l.trim() && !l.startsWith("npm warn"))) {
        (isErr ? console.error : console.log)(`[${name}] ${line}`);
      }
      if (ready.test(seen)) resolveReady();
    }
  };
  pump(child.stdout, false);
  pump(child.stderr, true);
  const exited = child.status.then((s) => {
    throw new Error(`${name} exited (code ${s.code}) before it was ready`);
  });
  const timer = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`${name} not ready after ${timeoutMs / 1000} s`)), timeoutMs)
  );
  await Promise.race([readyP, exited, timer]);
  return child;
}

async function exists(path: string) {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function stopAll() {
  for (const c of children.reverse()) {
    try {
      c.kill("SIGTERM");
    } catch {
      // gone already
    }
  }
}

async function firstExisting(paths: string[]): Promise<string | null> {
  for (const p of paths) {
    try {
      if ((await Deno.stat(p)).isFile) return p;
    } catch {
      // not here
    }
  }
  return null;
}

await runMain("demo", async () => {
  try {
    await demo();
  } catch (err) {
    stopAll(); // a step failed: no server or publisher is left behind
    throw err;
  }
});

async function demo() {
  const { values: v } = parseCli(Deno.args, {
    name: "demo",
    usage: USAGE,
    options: {
      dir: { type: "string" },
      port: { type: "string" },
      "device-port": { type: "string" },
    },
  });
  const dir = resolve(v.dir ?? "./demo-data");
  const port = v.port ? parsePort(v.port, "--port") : 8443;
  const devicePort = v["device-port"] ? parsePort(v["device-port"], "--device-port") : 8444;
  const dataDir = `${dir}/server`;
  const stateDir = `${dir}/device`;
  const credsFile = `${dir}/viewer.json`;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => {
      step("stopping…");
      stopAll();
      setTimeout(() => Deno.exit(0), 1500);
    });
  }

  // Each program runs with the flags its own flags function computes from the
  // same arguments the program parses (as `deno task serve`, `enroll`, … do).
  step("1/5 building the viewer (esbuild)…");
  await run(["task", "build:web"]);

  step("2/5 starting the signaling server…");
  const serveArgs = [
    "--data-dir",
    dataDir,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--device-port",
    String(devicePort),
  ];
  const serve = parseServeArgs(serveArgs, null);
  await start(
    "server",
    ["run", ...serverFlags(serve), program("signaling/main.ts"), ...serveArgs],
    /CA fingerprint/,
  );
  const admin = (args: string[], input?: string) => {
    const adminArgs = [...args, "--data-dir", dataDir, "--json"];
    const flags = adminFlags(parseAdminArgs(adminArgs, null));
    return run(["run", ...flags, program("signaling/admin/main.ts"), ...adminArgs], input);
  };
  const serverUrl = `https://localhost:${port}`;

  if (await exists(`${stateDir}/device.pem`)) {
    step("3/5 the demo camera is enrolled already (reusing it)");
  } else {
    step("3/5 registering and enrolling the demo camera (one-time token, CSR, CA pinning)…");
    const added = JSON.parse(
      await admin([
        "device:add",
        "demo-cam",
        "--label",
        "Demo camera",
        "--ttl",
        "5m",
        "--server-url",
        serverUrl,
      ]),
    );
    const enrollArgs = [
      "--server",
      serverUrl,
      "--ca-fingerprint",
      added.caFingerprint,
      "--state-dir",
      stateDir,
      "--token-stdin",
    ];
    const flags = enrollFlags(parseEnrollArgs(enrollArgs));
    await run(
      ["run", ...flags, program("publisher/device/enroll_main.ts"), ...enrollArgs],
      added.token,
    );
  }

  let creds: { username: string; password: string };
  if (await exists(credsFile)) {
    step("4/5 the viewer account exists (reusing it)");
    creds = JSON.parse(await Deno.readTextFile(credsFile));
  } else {
    step("4/5 creating the viewer account…");
    const password = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(12))))
      .replace(/[+/=]/g, "x");
    creds = { username: "viewer", password };
    await admin(
      ["user:add", "viewer", "--cameras", "*", "--recordings", "*", "--password-stdin"],
      password,
    );
    await Deno.writeTextFile(credsFile, JSON.stringify(creds), { mode: 0o600 });
  }
  // Older demo dirs made the account before recordings and roles existed. On this one-person
  // machine the viewer is also the operator: the console (devices, sessions, audit) is theirs.
  await admin(["user:set", "viewer", "--recordings", "*", "--admin"]);

  // The demo records (20 s segments, uploaded to the server) when ffmpeg is
  // installed, so there is footage to play on the camera page after a minute.
  const ffmpeg = await firstExisting([
    "/usr/bin/ffmpeg",
    "/usr/local/bin/ffmpeg",
    "/opt/homebrew/bin/ffmpeg",
  ]);
  const publishConfig = `${dir}/publish.json`;
  await Deno.writeTextFile(
    publishConfig,
    JSON.stringify(
      ffmpeg
        ? { record: { dir: `${dir}/device-recordings`, segmentSeconds: 20, snapshotSeconds: 5 } }
        : {},
    ),
    { mode: 0o600 },
  );

  step("5/5 starting the publisher (file source)…");
  // A browser on this machine reaches the publisher from one of the
  // machine's own networks: allow exactly those (a real deployment
  // configures its LAN ranges instead).
  const publishArgs = [
    "--state-dir",
    stateDir,
    "--config",
    publishConfig,
    "--source",
    "file",
    ...localViewerNetArgs(),
  ];
  // ICE binds one explicit local address (never 0.0.0.0), picked as `deno task publish` does.
  const picked = chooseInterfaceAddress(
    Deno.networkInterfaces(),
    parsePublishArgs(publishArgs, await Deno.readTextFile(publishConfig)).viewerNets,
  );
  if (!picked) throw new Error("this host has no IPv4 address for the demo camera");
  publishArgs.push("--interface", picked);
  const options = parsePublishArgs(publishArgs, await Deno.readTextFile(publishConfig));
  const { config: device } = await loadState(options.stateDir);
  const flags = publisherFlags({ options, device, sourceBinary: sourceBinary(options.source) });
  await start(
    "publisher",
    ["run", ...flags, program("publisher/main.ts"), ...publishArgs],
    /online as/,
    publisherRuntimeEnv(undefined),
  );

  console.log(`
vigil demo is running.

  Open:      ${serverUrl}/
  Login:     ${creds.username} / ${creds.password}   (also in ${credsFile}, mode 0600)
  CA:        ${dataDir}/pki/ca.pem
             Trust it to avoid the certificate warning, e.g. Chromium: Settings → Privacy and
             security → Security → Manage certificates → Authorities → Import; Firefox: Settings →
             Certificates → View Certificates → Authorities → Import. Or accept the warning once
             (passkeys, on the Account page, work only with the CA trusted).
  Camera:    demo-cam (a looping 720p30 test clip through the real publisher)
  Console:   the account is an admin: "Console" at the top of the camera list (devices, who is
             watching, users, audit log); "Account" changes the password and adds passkeys.
  Recording: ${
    ffmpeg
      ? "on: 20 s segments uploaded to the server; open the camera, footage appears on its timeline after ~30 s"
      : "off (install ffmpeg to record)"
  }

Ctrl-C stops everything.`);
  await Promise.all(children.map((c) => c.status));
}

/**
 * Limits enforced while reading, against the real server process (started
 * with exactly `serverFlags`): a device sends a 32 MiB WebSocket frame and
 * 48 MiB bodies (with Content-Length and chunked) over mTLS; viewers' bodies,
 * slow headers and bodies, oversized headers and a connection flood on both
 * listeners. Raw TLS sockets, so that the client never holds the payload and
 * the server's resident memory (VmHWM, its peak) says whether it buffered.
 * @module
 */
import assert from "node:assert/strict";
import { addDevice } from "../../signaling/admin/commands.ts";
import { serverFlags } from "../../signaling/config/flags.ts";
import { parseServeArgs } from "../../signaling/config/options.ts";
import { createCsr, exportPrivateKeyPem, generateDeviceKey } from "../../pki/mod.ts";
import { freePort } from "../helpers/cluster/service.ts";

const MAIN = new URL("../../signaling/main.ts", import.meta.url).pathname;
const MiB = 1024 * 1024;
/** The peak RSS may grow by this much at most while an oversized input is refused. */
const MAX_GROWTH = 24 * MiB;

interface ServerProcess {
  pid: number;
  publicPort: number;
  devicePort: number;
  dataDir: string;
  caPem: string;
  stop(): Promise<void>;
}

async function startServerProcess(extra: string[]): Promise<ServerProcess> {
  const dataDir = await Deno.makeTempDir({ prefix: "vigil-limits-" });
  const publicPort = freePort();
  const devicePort = freePort();
  const args = [
    "--data-dir",
    dataDir,
    "--host",
    "127.0.0.1",
    "--port",
    String(publicPort),
    "--device-port",
    String(devicePort),
    "--web-dir",
    `${dataDir}/web`,
    ...extra,
  ];
  const child = new Deno.Command("deno", {
    args: ["run", ...serverFlags(parseServeArgs(args, null)), MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const d = new TextDecoder();
    for await (const c of s) log = (log + d.decode(c)).slice(-20_000);
  };
  pump(child.stdout).catch(() => {});
  pump(child.stderr).catch(() => {});
  const deadline = Date.now() + 60_000;
  while (!/devices \(mTLS\) on port/.test(log)) {
    if (Date.now() > deadline) throw new Error(`the server did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid,
    publicPort,
    devicePort,
    dataDir,
    caPem: await Deno.readTextFile(`${dataDir}/pki/ca.pem`),
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** VmRSS and VmHWM (peak) of a process, bytes. */
async function memory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(status)![1]) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

/** A device enrolled against the process; its PEMs for raw TLS. */
async function enroll(s: ServerProcess, id: string) {
  const added = await addDevice(s.dataDir, {
    id,
    ttlMs: 60_000,
    serverUrl: `https://localhost:${s.publicPort}`,
  });
  const keys = await generateDeviceKey();
  const client = Deno.createHttpClient({ caCerts: [s.caPem] });
  const res = await fetch(`https://localhost:${s.publicPort}/enroll`, {
    method: "POST",
    client,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: added.token, csr: await createCsr(keys, id) }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const cert = (await res.json()).certificate as string;
  client.close();
  return { cert, key: await exportPrivateKeyPem(keys.privateKey) };
}

type Tls = Deno.TlsConn;

function connect(s: ServerProcess, port: number, dev?: { cert: string; key: string }) {
  return Deno.connectTls({
    hostname: "localhost",
    port,
    caCerts: [s.caPem],
    ...(dev ? { cert: dev.cert, key: dev.key } : {}),
  });
}

/** Reads until `done(text)` or the peer closes; the bytes read as latin1 text. */
async function readUntil(conn: Tls, done: (t: string) => boolean, timeoutMs = 30_000) {
  let text = "";
  const buf = new Uint8Array(64 * 1024);
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    while (!done(text)) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      for (let i = 0; i < n; i++) text += String.fromCharCode(buf[i]);
    }
  } finally {
    clearTimeout(timer);
  }
  return text;
}

/** Writes `total` bytes in 64 KiB chunks until done or the peer stops reading; bytes written. */
async function pour(conn: Tls, total: number, chunk = (n: number) => new Uint8Array(n)) {
  let written = 0;
  const zeros = chunk(64 * 1024);
  try {
    while (written < total) {
      const part = zeros.subarray(0, Math.min(zeros.length, total - written));
      let at = 0;
      while (at < part.length) at += await conn.write(part.subarray(at));
      written += part.length;
    }
  } catch {
    // the server closed the connection: what this test wants
  }
  return written;
}

Deno.test({
  name: "limits: a device's oversized frame and bodies are refused while read, memory stays low",
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const s = await startServerProcess([]);
  try {
    const dev = await enroll(s, "cam-big");
    const client = Deno.createHttpClient({ caCerts: [s.caPem], cert: dev.cert, key: dev.key });
    const tokenRes = await fetch(`https://localhost:${s.devicePort}/device/token`, {
      method: "POST",
      client,
    });
    const { token } = await tokenRes.json();
    client.close();
    await new Promise((r) => setTimeout(r, 500));

    await t.step(
      "a 32 MiB WebSocket frame on /device/ws → close 1009 after its header",
      async () => {
        const conn = await connect(s, s.devicePort, dev);
        await conn.write(new TextEncoder().encode([
          "GET /device/ws HTTP/1.1",
          `Host: localhost:${s.devicePort}`,
          "Upgrade: websocket",
          "Connection: Upgrade",
          "Sec-WebSocket-Version: 13",
          `Sec-WebSocket-Key: ${btoa("0123456789abcdef")}`,
          `Authorization: Bearer ${token}`,
          "",
          "",
        ].join("\r\n")));
        const head = await readUntil(conn, (t) => t.includes("\r\n\r\n"));
        assert.match(head, /^HTTP\/1\.1 101/, head);
        const before = await memory(s.pid);
        // FIN + text, masked, 64-bit length 32 MiB, mask key 0 (the payload is NUL bytes).
        const size = 32 * MiB;
        const header = new Uint8Array([0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        new DataView(header.buffer).setBigUint64(2, BigInt(size));
        const reply = readUntil(conn, (t) => t.includes("\x88"), 60_000);
        await conn.write(header);
        const written = await pour(conn, size);
        const got = await reply;
        conn.close();
        const after = await memory(s.pid);
        console.log(
          `frame: wrote ${mib(written)} of ${mib(size)}; server RSS ${mib(before.rss)} → ${
            mib(after.rss)
          }, peak ${mib(before.peak)} → ${mib(after.peak)}`,
        );
        const close = got.indexOf("\x88");
        assert.ok(close >= 0, "no close frame from the server");
        const code = (got.charCodeAt(close + 2) << 8) | got.charCodeAt(close + 3);
        assert.equal(code, 1009, "close code Message Too Big (RFC 6455 §7.4.1)");
        assert.ok(
          after.peak - before.peak < MAX_GROWTH,
          `peak RSS grew ${mib(after.peak - before.peak)}`,
        );
      },
    );

    for (const chunked of [false, true]) {
      await t.step(
        `a 48 MiB body to /device/renew (${chunked ? "chunked" : "Content-Length"}) → 413`,
        async () => {
          const size = 48 * MiB;
          const conn = await connect(s, s.devicePort, dev);
          const before = await memory(s.pid);
          await conn.write(new TextEncoder().encode([
            "POST /device/renew HTTP/1.1",
            `Host: localhost:${s.devicePort}`,
            "Content-Type: application/json",
            chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${size}`,
            "",
            "",
          ].join("\r\n")));
          const reply = readUntil(conn, (t) => /\r\n\r\n/.test(t), 60_000);
          let written: number;
          if (chunked) {
            // One 64 KiB chunk after another: `10000\r\n<64 KiB>\r\n`.
            const body = new Uint8Array(64 * 1024).fill(0x20);
            const frame = new Uint8Array([
              ...new TextEncoder().encode("10000\r\n"),
              ...body,
              ...new TextEncoder().encode("\r\n"),
            ]);
            written = 0;
            try {
              while (written < size) {
                let at = 0;
                while (at < frame.length) at += await conn.write(frame.subarray(at));
                written += body.length;
              }
            } catch {
              // closed by the server
            }
          } else {
            written = await pour(conn, size, (n) => new Uint8Array(n).fill(0x20));
          }
          const text = await reply;
          conn.close();
          const after = await memory(s.pid);
          console.log(
            `body (${chunked ? "chunked" : "length"}): wrote ${mib(written)} of ${
              mib(size)
            }; server RSS ${mib(before.rss)} → ${mib(after.rss)}, peak ${mib(before.peak)} → ${
              mib(after.peak)
            }`,
          );
          assert.match(text, /^HTTP\/1\.1 413/, text.slice(0, 200));
          assert.match(text, /the request body exceeds 65536 bytes/);
          assert.ok(written < size, "the server read the whole body");
          assert.ok(
            after.peak - before.peak < MAX_GROWTH,
            `peak RSS grew ${mib(after.peak - before.peak)}`,
          );
        },
      );
    }

    await t.step("the server still works: a device token over mTLS", async () => {
      const c = Deno.createHttpClient({ caCerts: [s.caPem], cert: dev.cert, key: dev.key });
      const r = await fetch(`https://localhost:${s.devicePort}/device/token`, {
        method: "POST",
        client: c,
      });
      assert.equal(r.status, 200);
      await r.body?.cancel();
      c.close();
    });
  } finally {
    await s.stop();
  }
});

Deno.test({
  name: "limits: slow headers/bodies time out, headers are capped, one address gets N connections",
  sanitizeResources: false,
  sanitizeOps: false,
}, async (t) => {
  const s = await startServerProcess([
    "--headers-timeout",
    "1s",
    "--body-timeout",
    "2s",
    "--max-connections-per-address",
    "8",
  ]);
  try {
    const dev = await enroll(s, "cam-slow");
    const listeners = [
      { name: "public", port: s.publicPort, dev: undefined, path: "/auth/login" },
      { name: "device", port: s.devicePort, dev, path: "/device/renew" },
    ];
    for (const l of listeners) {
      await t.step(`${l.name}: headers trickling → closed after the headers timeout`, async () => {
        const conn = await connect(s, l.port, l.dev);
        await conn.write(new TextEncoder().encode(`POST ${l.path} HTTP/1.1\r\nHost: x\r\n`));
        const started = Date.now();
        const trickle = setInterval(
          () => conn.write(new TextEncoder().encode("X: y\r\n")).catch(() => {}),
          300,
        );
        await readUntil(conn, () => false, 20_000);
        clearInterval(trickle);
        conn.close();
        const took = Date.now() - started;
        assert.ok(took < 15_000, `still open after ${took} ms`);
      });

      await t.step(`${l.name}: a body trickling → closed after the body timeout`, async () => {
        const conn = await connect(s, l.port, l.dev);
        await conn.write(new TextEncoder().encode(
          `POST ${l.path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
        ));
        const started = Date.now();
        const trickle = setInterval(
          () => conn.write(new TextEncoder().encode(" ")).catch(() => {}),
          300,
        );
        await readUntil(conn, () => false, 20_000);
        clearInterval(trickle);
        conn.close();
        assert.ok(Date.now() - started < 15_000, "the slow body was not cut");
      });

      await t.step(`${l.name}: a 20 KiB header block → 431`, async () => {
        const conn = await connect(s, l.port, l.dev);
        await conn.write(new TextEncoder().encode(
          `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
        ));
        const text = await readUntil(conn, (t) => t.includes("\r\n"));
        conn.close();
        assert.match(text, /^HTTP\/1\.1 431/);
      });

      await t.step(`${l.name}: the 9th connection from one address is closed at once`, async () => {
        const conns: Deno.TcpConn[] = [];
        for (let i = 0; i < 8; i++) {
          conns.push(await Deno.connect({ hostname: "127.0.0.1", port: l.port }));
        }
        await new Promise((r) => setTimeout(r, 200));
        const extra = await Deno.connect({ hostname: "127.0.0.1", port: l.port });
        const n = await extra.read(new Uint8Array(16)).catch(() => null);
        assert.equal(n, null, "the extra connection was served");
        extra.close();
        for (const c of conns) c.close();
        // The count drops with the closes: a new connection is served again.
        await new Promise((r) => setTimeout(r, 300));
        const again = await connect(s, l.port, l.dev);
        await again.write(new TextEncoder().encode("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        const text = await readUntil(again, (t) => t.includes("\r\n"));
        again.close();
        assert.match(text, /^HTTP\/1\.1 \d{3}/);
      });
    }

    await t.step("public: a 48 MiB login body → 413, and curl reads the status", async () => {
      const body = await Deno.makeTempFile();
      const f = await Deno.open(body, { write: true });
      await f.truncate(48 * MiB);
      f.close();
      const before = await memory(s.pid);
      const out = await new Deno.Command("curl", {
        args: [
          "-sS",
          "--cacert",
          `${s.dataDir}/pki/ca.pem`,
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          "-H",
          "content-type: application/json",
          "--data-binary",
          `@${body}`,
          `https://localhost:${s.publicPort}/auth/login`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      await Deno.remove(body);
      const after = await memory(s.pid);
      console.log(`public body: peak RSS ${mib(before.peak)} → ${mib(after.peak)}`);
      assert.equal(
        new TextDecoder().decode(out.stdout),
        "413",
        new TextDecoder().decode(out.stderr),
      );
      assert.ok(after.peak - before.peak < MAX_GROWTH);
    });

    const audit = await Deno.readTextFile(`${s.dataDir}/audit.log`);
    for (const reason of ["headers timeout", "body timeout", "too many connections"]) {
      assert.ok(audit.includes(`"reason":"${reason}"`), `no audit event for ${reason}`);
    }
  } finally {
    await s.stop();
  }
});

/**
 * A tiny UDP tool run inside the test namespaces (`deno run --allow-net`):
 *
 * - `echo HOST PORT...`: answers every datagram with `{"from":"ip:port","data":…}`,
 *   the source address it saw (what a NAT turned the sender into); prints
 *   `listening` once bound and one line `got <from> <data>` per datagram.
 * - `ask DEST...`: from ONE local socket, sends to every `ip:port` DEST and
 *   prints one JSON line `{ "<dest>": "<from as seen there>" | null }`
 *   (null: no answer within 2 s).
 *
 * node:dgram because Deno's own UDP API needs --unstable-net.
 * @module
 */
import dgram from "node:dgram";

const [mode, ...rest] = Deno.args;

if (mode === "echo") {
  const [host, ...ports] = rest;
  let bound = 0;
  for (const port of ports) {
    const sock = dgram.createSocket("udp4");
    sock.on("message", (msg, rinfo) => {
      const from = `${rinfo.address}:${rinfo.port}`;
      console.log(`got ${from} ${msg.toString().slice(0, 100)}`);
      sock.send(JSON.stringify({ from, data: msg.toString() }), rinfo.port, rinfo.address);
    });
    sock.bind(Number(port), host, () => {
      if (++bound === ports.length) console.log("listening");
    });
  }
} else if (mode === "ask") {
  const sock = dgram.createSocket("udp4");
  const seen: Record<string, string | null> = Object.fromEntries(rest.map((d) => [d, null]));
  sock.on("message", (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    if (key in seen) seen[key] = JSON.parse(msg.toString()).from;
  });
  await new Promise<void>((r) => sock.bind(0, () => r()));
  for (const d of rest) {
    const [ip, port] = d.split(":");
    sock.send("probe", Number(port), ip);
  }
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline && Object.values(seen).some((v) => v === null)) {
    await new Promise((r) => setTimeout(r, 20));
  }
  console.log(JSON.stringify(seen));
  sock.close();
} else {
  console.error("usage: _udp_probe.ts echo HOST PORT... | ask IP:PORT...");
  Deno.exit(2);
}

/**
 * End to end through real TLS stacks: a node:tls server (what the signaling
 * server's mTLS listener uses) and Deno's TLS client (what the Pi uses).
 * Checks that the certificates are accepted and that the identifiers node
 * reports match the ones the PKI returned at issue time.
 */
import assert from "node:assert/strict";
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import { certInfo } from "./cert_info.ts";
import { createCsr } from "./csr.ts";
import { signDeviceCsr } from "./device_cert.ts";
import { normalizeFingerprint, x5tS256 } from "./fingerprint.ts";
import { exportPrivateKeyPem, generateDeviceKey } from "./keys.ts";
import { normalizeSerial } from "./serial.ts";
import { issueServerCertificate } from "./server_cert.ts";
import { newCa } from "./_testing.ts";

Deno.test("mTLS between node:tls and Deno.connectTls", async () => {
  const { ca, certPem: caPem } = await newCa();
  const server = await issueServerCertificate(ca, {
    dnsNames: ["localhost"],
    ipAddresses: ["127.0.0.1"],
  });
  const keys = await generateDeviceKey();
  const device = await signDeviceCsr(ca, await createCsr(keys, "x"), { deviceId: "cam-1" });

  const peer = Promise.withResolvers<{ authorized: boolean; cert: tls.DetailedPeerCertificate }>();
  const listener = tls.createServer({
    cert: server.certPem,
    key: server.keyPem,
    ca: [caPem],
    requestCert: true,
    rejectUnauthorized: false,
  }, (socket) => {
    peer.resolve({ authorized: socket.authorized, cert: socket.getPeerCertificate(true) });
    socket.end("ok");
  });
  listener.on("tlsClientError", (err) => peer.reject(err));
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address() as AddressInfo;

  try {
    const conn = await Deno.connectTls({
      hostname: "localhost",
      port,
      caCerts: [caPem],
      cert: device.certPem,
      key: await exportPrivateKeyPem(keys.privateKey),
    });
    const reply = new Uint8Array(2);
    let read = 0;
    while (read < 2) {
      const n = await conn.read(reply.subarray(read));
      if (n === null) break;
      read += n;
    }
    conn.close();
    assert.equal(new TextDecoder().decode(reply), "ok");

    const { authorized, cert } = await peer.promise;
    assert.equal(authorized, true);
    assert.equal(normalizeSerial(cert.serialNumber), device.serial);
    assert.equal(normalizeFingerprint(cert.fingerprint256), device.fingerprint256);
    assert.equal(x5tS256(cert.raw), device.x5tS256);
    assert.equal(certInfo(cert.raw).deviceId, "cam-1");
  } finally {
    await new Promise((resolve) => listener.close(resolve));
  }
});

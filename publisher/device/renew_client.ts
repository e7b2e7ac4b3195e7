/**
 * Certificate renewal over mTLS: a fresh key pair, a CSR, `POST
 * /device/renew`, then key and certificate replaced atomically.
 *
 * @module
 */

import { z } from "zod";
import { fingerprint256 } from "../../pki/fingerprint.ts";
import { postJson } from "./http.ts";
import { deviceBaseUrl, type DeviceState, loadState, saveRenewal } from "./state.ts";

/**
 * When to renew: at 2/3 of the certificate's lifetime, moved by up to ±5 %
 * of the lifetime (`jitter` in [-1, 1]; default random) so a fleet does not
 * renew in lockstep.
 *
 * @example
 * ```ts
 * renewDueAt(new Date(0), new Date(3_000), 0).getTime(); // 2000
 * ```
 */
export function renewDueAt(
  notBefore: Date,
  notAfter: Date,
  jitter: number = Math.random() * 2 - 1,
): Date {
  const j = Math.max(-1, Math.min(1, jitter));
  const life = notAfter.getTime() - notBefore.getTime();
  return new Date(notBefore.getTime() + life * (2 / 3 + 0.05 * j));
}

/** A `Deno.HttpClient` presenting the device certificate and trusting only the pinned CA. */
export function mtlsClient(state: DeviceState): Deno.HttpClient {
  return Deno.createHttpClient({ caCerts: [state.caPem], cert: state.certPem, key: state.keyPem });
}

const RenewReply = z.object({ certificate: z.string().min(100), caCertificate: z.string() });

/** What {@linkcode renew} did. */
export interface RenewResult {
  deviceId: string;
  serial: string;
  notBefore: string;
  notAfter: string;
}

/** Renews the device certificate in `stateDir`; returns the new certificate's facts. */
export async function renew(stateDir: string): Promise<RenewResult> {
  const state = await loadState(stateDir);
  // Loaded on renewal only: pki/mod.ts brings @peculiar/x509 (~20 MiB resident).
  const { certInfo, createCsr, exportPrivateKeyPem, generateDeviceKey } = await import(
    "../../pki/mod.ts"
  );
  const keys = await generateDeviceKey();
  const csr = await createCsr(keys, state.config.deviceId);
  const keyPem = await exportPrivateKeyPem(keys.privateKey);
  const client = mtlsClient(state);
  let reply: z.infer<typeof RenewReply>;
  try {
    const { json } = await postJson(`${deviceBaseUrl(state.config)}/device/renew`, { csr }, client);
    const r = RenewReply.safeParse(json);
    if (!r.success) throw new Error("/device/renew: malformed reply");
    reply = r.data;
  } finally {
    client.close();
  }
  if (fingerprint256(reply.caCertificate) !== state.config.caFingerprint) {
    throw new Error("renewal returned a CA that does not match the pin; not saved");
  }
  const info = certInfo(reply.certificate);
  if (info.deviceId !== state.config.deviceId) {
    throw new Error("renewed certificate names another device; not saved");
  }
  await saveRenewal(stateDir, keyPem, reply.certificate);
  return {
    deviceId: info.deviceId,
    serial: info.serial,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
  };
}

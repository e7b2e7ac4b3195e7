/**
 * Device enrollment: generate the key on the device, pin the server's CA by
 * fingerprint, send a CSR with the one-time token, store the result.
 * The token is sent once, in the body of a pinned TLS request, and never
 * logged or returned.
 *
 * @module
 */

import { z } from "zod";
import {
  certInfo,
  createCsr,
  exportPrivateKeyPem,
  fingerprint256,
  generateDeviceKey,
  normalizeFingerprint,
} from "../../pki/mod.ts";
import { postJson } from "./http.ts";
import { fetchPinnedCa } from "./pinning.ts";
import { type DeviceConfig, isEnrolled, saveState, statePaths } from "./state.ts";

/** Options of {@linkcode enroll}. */
export interface EnrollOptions {
  /** `https://host:port` of the public listener. */
  serverUrl: string;
  /** One-time enrollment token. */
  token: string;
  /** SHA-256 fingerprint of the server's CA. */
  caFingerprint: string;
  /** State directory. */
  stateDir: string;
  /** Enroll again even if the state dir holds an enrollment. */
  force?: boolean;
}

/** What {@linkcode enroll} did. */
export type EnrollResult =
  | { status: "already-enrolled"; stateDir: string; deviceId: string | null }
  | {
    status: "enrolled";
    stateDir: string;
    deviceId: string;
    devicePort: number;
    caFingerprint: string;
    certSerial: string;
    certNotAfter: string;
  };

const EnrollReply = z.object({
  deviceId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  certificate: z.string().min(100),
  caCertificate: z.string().min(100),
  devicePort: z.number().int().min(1).max(65535),
});

/** Canonical origin of a server URL (no path); throws on anything but https. */
export function normalizeServerUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`invalid server URL "${url}"`);
  }
  if (u.protocol !== "https:") throw new Error(`server URL must be https://, got ${u.protocol}`);
  return u.origin;
}

/** Enrolls this device (see the module documentation). */
export async function enroll(o: EnrollOptions): Promise<EnrollResult> {
  const stateDir = statePaths(o.stateDir).dir;
  if (!o.force && await isEnrolled(stateDir)) {
    let deviceId: string | null = null;
    try {
      deviceId = JSON.parse(await Deno.readTextFile(statePaths(stateDir).config)).deviceId ?? null;
    } catch {
      // reported as unknown
    }
    return { status: "already-enrolled", stateDir, deviceId };
  }
  const serverUrl = normalizeServerUrl(o.serverUrl);
  const pin = normalizeFingerprint(o.caFingerprint);
  if (!pin) throw new Error("--ca-fingerprint is not a SHA-256 fingerprint (64 hex digits)");
  if (!/^[\x21-\x7e]{8,512}$/.test(o.token)) throw new Error("the token is malformed");

  const caPem = await fetchPinnedCa(serverUrl, pin);
  const keys = await generateDeviceKey();
  const csr = await createCsr(keys, "vigil-device");
  const keyPem = await exportPrivateKeyPem(keys.privateKey);

  const client = Deno.createHttpClient({ caCerts: [caPem] });
  let reply: z.infer<typeof EnrollReply>;
  try {
    const { status, json } = await postJson(`${serverUrl}/enroll`, { token: o.token, csr }, client);
    if (status !== 201) throw new Error(`/enroll: unexpected status ${status}`);
    const r = EnrollReply.safeParse(json);
    if (!r.success) throw new Error("/enroll: malformed reply");
    reply = r.data;
  } finally {
    client.close();
  }
  if (fingerprint256(reply.caCertificate) !== pin) {
    throw new Error("the server returned a CA certificate that does not match the pin; not saved");
  }
  const info = certInfo(reply.certificate);
  if (info.deviceId !== reply.deviceId) {
    throw new Error("the issued certificate does not name the enrolled device; not saved");
  }
  const config: DeviceConfig = {
    serverUrl,
    deviceId: reply.deviceId,
    devicePort: reply.devicePort,
    caFingerprint: pin,
  };
  await saveState(stateDir, { config, keyPem, certPem: reply.certificate, caPem });
  return {
    status: "enrolled",
    stateDir,
    deviceId: reply.deviceId,
    devicePort: reply.devicePort,
    caFingerprint: pin,
    certSerial: info.serial,
    certNotAfter: info.notAfter.toISOString(),
  };
}

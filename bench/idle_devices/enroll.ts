/**
 * Registers and enrolls many devices through the real flow: `device:add`
 * (one-time token, stored hashed) on the data dir, then per device a fresh
 * P-256 key, a CSR and `POST /enroll` over TLS to the running server, which
 * signs the certificate with its CA.
 *
 * @example
 * ```ts
 * const tokens = await registerDevices(dataDir, ids, publicUrl, log);
 * const creds = await enrollDevices(publicUrl, caPem, tokens, 4, log);
 * ```
 * @module
 */
import { addDevice } from "../../signaling/admin/commands.ts";
import { createCsr, exportPrivateKeyPem, generateDeviceKey } from "../../pki/mod.ts";
import type { DeviceCredentials } from "./child.ts";

/** A registered device and its one-time token. */
export interface Registered {
  deviceId: string;
  token: string;
}

/** `device:add` for each id (in-process, as the operator command does). */
export async function registerDevices(
  dataDir: string,
  ids: string[],
  serverUrl: string,
  log: (s: string) => void,
): Promise<Registered[]> {
  const out: Registered[] = [];
  for (const id of ids) {
    // The tokens must outlive a slow enrollment of them all.
    const added = await addDevice(dataDir, { id, ttlMs: 30 * 60_000, serverUrl });
    out.push({ deviceId: id, token: added.token });
    if (out.length % 250 === 0) log(`registered ${out.length}/${ids.length}`);
  }
  return out;
}

/** Enrolls each device over HTTPS, `concurrency` at a time. */
export async function enrollDevices(
  publicUrl: string,
  caPem: string,
  devices: Registered[],
  concurrency: number,
  log: (s: string) => void,
): Promise<DeviceCredentials[]> {
  const client = Deno.createHttpClient({ caCerts: [caPem] });
  const out: DeviceCredentials[] = new Array(devices.length);
  let next = 0;
  let done = 0;
  let failed = false;
  const enrollOne = async ({ deviceId, token }: Registered): Promise<DeviceCredentials> => {
    const keys = await generateDeviceKey();
    const csr = await createCsr(keys, deviceId);
    const res = await fetch(`${publicUrl}/enroll`, {
      method: "POST",
      client,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, csr }),
    });
    if (res.status !== 201) {
      throw new Error(`enroll ${deviceId}: ${res.status} ${(await res.text()).slice(0, 200)}`);
    }
    const body = await res.json();
    return {
      deviceId,
      certPem: body.certificate,
      keyPem: await exportPrivateKeyPem(keys.privateKey),
    };
  };
  const worker = async () => {
    // One failure ends the run: the other workers stop taking work.
    while (next < devices.length && !failed) {
      const i = next++;
      try {
        out[i] = await enrollOne(devices[i]);
      } catch (err) {
        failed = true;
        throw err;
      }
      if (++done % 100 === 0) log(`enrolled ${done}/${devices.length}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  } finally {
    client.close();
  }
  return out;
}

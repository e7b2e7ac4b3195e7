/**
 * The device state directory:
 *
 * - `device.key`  the device's private key (PKCS#8 PEM, mode 0600; never leaves the Pi)
 * - `device.pem`  its client certificate
 * - `ca.pem`      the pinned CA certificate
 * - `device.json` `{ serverUrl, deviceId, devicePort, caFingerprint }`
 *
 * Every file is written atomically (temp file + rename), so a renewal never
 * leaves a key that does not match its certificate for longer than one rename.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { z } from "zod";
// Not pki/mod.ts: that loads @peculiar/x509 (~20 MiB resident) into the publisher at start.
import { normalizeFingerprint } from "../../pki/fingerprint.ts";
import { writePublicFile, writeSecretFile } from "../../pki/files.ts";

/** Default state directory. */
export const DEFAULT_STATE_DIR = "./device-state";

/** `device.json`. */
export const DeviceConfigSchema = z.object({
  serverUrl: z.string().url(),
  deviceId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  devicePort: z.number().int().min(1).max(65535),
  caFingerprint: z.string().refine((s) => normalizeFingerprint(s) !== null, "bad fingerprint"),
}).strict();

/** Parsed `device.json`. */
export type DeviceConfig = z.infer<typeof DeviceConfigSchema>;

/** Everything in the state dir. */
export interface DeviceState {
  config: DeviceConfig;
  keyPem: string;
  certPem: string;
  caPem: string;
}

/** The paths of the state files. */
export function statePaths(dir: string) {
  const d = resolve(dir);
  return {
    dir: d,
    key: join(d, "device.key"),
    cert: join(d, "device.pem"),
    ca: join(d, "ca.pem"),
    config: join(d, "device.json"),
  };
}

/** True if the state dir holds a complete enrollment. */
export async function isEnrolled(dir: string): Promise<boolean> {
  const p = statePaths(dir);
  for (const f of [p.key, p.cert, p.ca, p.config]) {
    try {
      await Deno.stat(f);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  }
  return true;
}

/** Loads the state; throws a one-line error when missing or invalid. */
export async function loadState(dir: string): Promise<DeviceState> {
  const p = statePaths(dir);
  if (!(await isEnrolled(dir))) {
    throw new Error(`not enrolled: no device state in ${p.dir} (run deno task enroll first)`);
  }
  const parsed = DeviceConfigSchema.safeParse(JSON.parse(await Deno.readTextFile(p.config)));
  if (!parsed.success) throw new Error(`${p.config} is invalid: ${parsed.error.issues[0].message}`);
  return {
    config: parsed.data,
    keyPem: await Deno.readTextFile(p.key),
    certPem: await Deno.readTextFile(p.cert),
    caPem: await Deno.readTextFile(p.ca),
  };
}

/** Writes the whole state (key 0600, the rest 0644, directory 0700). */
export async function saveState(dir: string, state: DeviceState): Promise<void> {
  const p = statePaths(dir);
  await writeSecretFile(p.key, state.keyPem);
  await writePublicFile(p.cert, state.certPem);
  await writePublicFile(p.ca, state.caPem);
  await writePublicFile(p.config, JSON.stringify(state.config, null, 2) + "\n");
}

/** Replaces key and certificate after a renewal (key first: the old cert is useless anyway). */
export async function saveRenewal(dir: string, keyPem: string, certPem: string): Promise<void> {
  const p = statePaths(dir);
  await writeSecretFile(p.key, keyPem);
  await writePublicFile(p.cert, certPem);
}

/** Host name of the server URL (for `--allow-net` and the device listener). */
export function serverHost(config: DeviceConfig): string {
  return new URL(config.serverUrl).hostname.replace(/^\[|\]$/g, "");
}

/** `https://host:devicePort` of the device listener. */
export function deviceBaseUrl(config: DeviceConfig): string {
  const u = new URL(config.serverUrl);
  u.port = String(config.devicePort);
  u.pathname = "";
  return u.origin;
}

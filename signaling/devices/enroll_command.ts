/**
 * The exact command an operator runs on the Pi to enroll a device, shown by
 * `device:add` and by the console (`POST /api/admin/devices`). Pure.
 * @module
 */

/** `deno task enroll …` with the server URL, the CA fingerprint to pin and the one-time token. */
export function enrollCommand(serverUrl: string, caFingerprint: string, token: string): string {
  return `deno task enroll --server ${serverUrl} --ca-fingerprint ${
    caFingerprint.replaceAll(":", "")
  } --token ${token}`;
}

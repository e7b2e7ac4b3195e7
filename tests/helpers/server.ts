/**
 * Test fixtures: a real server on random loopback ports with a temporary
 * data dir, and device-side helpers that enroll over real TLS.
 * @module
 */
import { type ServerSettings, serverSettings } from "../../signaling/config/settings.ts";
import { type RunningServer, startServer } from "../../signaling/server.ts";
import { addDevice, type AdminTarget, userAdd } from "../../signaling/admin/commands.ts";
import { createCsr, exportPrivateKeyPem, generateDeviceKey } from "../../pki/mod.ts";
import { enroll } from "../../publisher/device/enroll_client.ts";

/** A started server with its temp dir; `close()` removes everything. */
export interface TestServer extends RunningServer {
  dataDir: string;
  /** Where operator commands work: the data dir, or the cluster's store. */
  target: AdminTarget;
  base: string;
  /** An HTTP client trusting the server's CA. */
  client: Deno.HttpClient;
  stop(): Promise<void>;
}

/** Starts a server on 127.0.0.1 with random ports. */
export async function startTestServer(
  overrides: Partial<ServerSettings> = {},
): Promise<TestServer> {
  const dataDir = await Deno.makeTempDir({ prefix: "vigil-test-" });
  const server = await startServer(serverSettings({
    dataDir,
    host: "127.0.0.1",
    port: 0,
    devicePort: 0,
    webDir: `${dataDir}/web`,
    ...overrides,
  }));
  const client = Deno.createHttpClient({ caCerts: [server.ctx.pki.caPem] });
  return {
    ...server,
    dataDir,
    target: server.ctx.config.store
      ? {
        dataDir,
        store: server.ctx.config.store,
        storePasswordFile: server.ctx.config.storePasswordFile,
      }
      : dataDir,
    base: `https://localhost:${server.publicPort}`,
    client,
    async stop() {
      client.close();
      await server.close();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** A device enrolled through the real flow. */
export interface EnrolledDevice {
  deviceId: string;
  certPem: string;
  keyPem: string;
  /** mTLS client for the device listener. */
  client: Deno.HttpClient;
  deviceBase: string;
}

/** Registers and enrolls a device; returns its credentials. */
export async function enrollDevice(s: TestServer, deviceId: string): Promise<EnrolledDevice> {
  const added = await addDevice(s.target, { id: deviceId, ttlMs: 60_000, serverUrl: s.base });
  return await enrollWithToken(s, deviceId, added.token);
}

/** Enrolls a registered device with its one-time token (as `deno task enroll` does). */
export async function enrollWithToken(
  s: TestServer,
  deviceId: string,
  token: string,
): Promise<EnrolledDevice> {
  const keys = await generateDeviceKey();
  const csr = await createCsr(keys, deviceId);
  const res = await fetch(`${s.base}/enroll`, {
    method: "POST",
    client: s.client,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, csr }),
  });
  if (res.status !== 201) throw new Error(`enroll failed: ${res.status} ${await res.text()}`);
  const body = await res.json();
  const keyPem = await exportPrivateKeyPem(keys.privateKey);
  return {
    deviceId,
    certPem: body.certificate,
    keyPem,
    client: Deno.createHttpClient({
      caCerts: [s.ctx.pki.caPem],
      cert: body.certificate,
      key: keyPem,
    }),
    deviceBase: `https://localhost:${s.devicePort}`,
  };
}

/** Creates a viewer (an admin with `admin`) and logs in; returns the access token and refresh cookie. */
export async function loginViewer(s: TestServer, name: string, cameras: string[], admin = false) {
  const password = `pw-${crypto.randomUUID()}`;
  await userAdd(s.target, { name, password, cameras, admin });
  const res = await fetch(`${s.base}/auth/login`, {
    method: "POST",
    client: s.client,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: name, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  const body = await res.json();
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0];
  return { token: body.accessToken as string, cookie, password };
}

/**
 * Registers camera `id` and enrolls it into `stateDir` as `deno task enroll`
 * does (one-time token, CSR, CA pinning), for tests that run the real publisher.
 */
export async function enrollInto(
  s: { dataDir: string; base: string },
  id: string,
  stateDir: string,
  label?: string,
): Promise<void> {
  const added = await addDevice(s.dataDir, { id, label, ttlMs: 60_000, serverUrl: s.base });
  await enroll({
    serverUrl: s.base,
    token: added.token,
    caFingerprint: added.caFingerprint,
    stateDir,
    force: false,
  });
}

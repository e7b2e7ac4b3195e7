/**
 * A live camera for the interop tests: the real server (random loopback
 * ports), a device enrolled through the real client, the real publisher
 * process (file source, started with the `publish` task's flags) and a
 * viewer allowed to watch it. The CA is written to a file for players that
 * are separate processes (Python, GStreamer).
 * @module
 */
import { userAdd } from "../../signaling/admin/commands.ts";
import { enrollInto, startTestServer, type TestServer } from "./server.ts";
import { startLocalPublisher, stopProcess } from "./publisher_process.ts";
import type { ServerSettings } from "../../signaling/config/settings.ts";

/** What {@linkcode startLiveCamera} started. */
export interface LiveCamera {
  server: TestServer;
  camera: string;
  /** `https://localhost:<port>/whep/<camera>` */
  whepUrl: string;
  /** PEM file of the server's CA (0600, in a temp dir). */
  caFile: string;
  /** Stops only the publisher (the camera goes offline); `stop()` still cleans up. */
  stopPublisher(): Promise<void>;
  /** Logs the viewer in again and returns a fresh access token (they live 5 min). */
  token(): Promise<string>;
  username: string;
  password: string;
  stop(): Promise<void>;
}

/** Starts server + publisher + viewer account. */
export async function startLiveCamera(
  o: { camera?: string; server?: Partial<ServerSettings>; publisherLog?: string } = {},
): Promise<LiveCamera> {
  const camera = o.camera ?? "interop-cam";
  const server = await startTestServer(o.server);
  const stateDir = await Deno.makeTempDir({ prefix: "interop-dev-" });
  const caFile = `${stateDir}/ca.pem`;
  let publisher: Deno.ChildProcess | null = null;
  try {
    await enrollInto(server, camera, stateDir, "Interop camera");
    await Deno.writeTextFile(caFile, server.ctx.pki.caPem, { mode: 0o600 });
    const username = "interop-viewer";
    const password = `pw-${crypto.randomUUID()}`;
    await userAdd(server.dataDir, { name: username, password, cameras: [camera] });
    await Deno.mkdir("tests/artifacts", { recursive: true });
    publisher = await startLocalPublisher(stateDir, {
      logFile: o.publisherLog ?? "tests/artifacts/interop-publisher.log",
    });
    const token = async () => {
      const res = await fetch(`${server.base}/auth/login`, {
        method: "POST",
        client: server.client,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username, password }),
      });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
      return (await res.json()).accessToken as string;
    };
    const child = publisher;
    let stopped: Promise<void> | null = null;
    const stopPublisher = () => (stopped ??= stopProcess(child));
    return {
      server,
      camera,
      whepUrl: `${server.base}/whep/${camera}`,
      caFile,
      token,
      username,
      password,
      stopPublisher,
      async stop() {
        await stopPublisher();
        await server.stop();
        await Deno.remove(stateDir, { recursive: true });
      },
    };
  } catch (err) {
    if (publisher) await stopProcess(publisher);
    await server.stop();
    await Deno.remove(stateDir, { recursive: true });
    throw err;
  }
}

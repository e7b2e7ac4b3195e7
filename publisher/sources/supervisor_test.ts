import assert from "node:assert/strict";
import { silentLogger } from "../../lib/log.ts";
import {
  type ExitInfo,
  killSupervisedChildren,
  ProcessSupervisor,
  supervisedChildCount,
} from "./supervisor.ts";

/** True while a process with this pid exists (and is not a zombie). */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

const script = (body: string) => () => ({ binary: "sh", args: ["-c", body] });

Deno.test({
  name: "ProcessSupervisor",
  ignore: Deno.build.os === "windows",
  fn: async (t) => {
    await t.step("restarts a killed process with backoff; stop kills it", async () => {
      const pids: number[] = [];
      const exits: ExitInfo[] = [];
      const stdout: string[] = [];
      const sup = new ProcessSupervisor({
        name: "tiny",
        command: script("echo hello >&2; echo out; exec sleep 30"),
        onStart: (child) => pids.push(child.pid),
        onExit: (info) => exits.push(info),
        onStdout: (chunk) => stdout.push(new TextDecoder().decode(chunk)),
        backoff: { initialMs: 50, maxMs: 200 },
        logger: silentLogger,
      });
      sup.start();
      await until(() => pids.length === 1 && stdout.join("").includes("out"));
      Deno.kill(pids[0], "SIGKILL");
      await until(() => pids.length === 2);
      assert.equal(sup.restarts, 1);
      assert.equal(exits[0].signal, "SIGKILL");
      assert.equal(exits[0].requested, false);
      assert.deepEqual(exits[0].stderr, ["hello"]);
      assert.ok(alive(pids[1]));
      await sup.stop();
      assert.equal(alive(pids[1]), false);
      assert.equal(exits.at(-1)!.requested, true);
      assert.equal(sup.running, false);
      assert.equal(supervisedChildCount(), 0);
    });

    await t.step("backoff grows while the process keeps dying", async () => {
      const starts: number[] = [];
      const exits: ExitInfo[] = [];
      const sup = new ProcessSupervisor({
        name: "crashy",
        command: script("echo boom >&2; exit 3"),
        onStart: () => starts.push(performance.now()),
        onExit: (info) => exits.push(info),
        backoff: { initialMs: 20, factor: 3, maxMs: 1000 },
        logger: silentLogger,
      });
      sup.start();
      await until(() => starts.length >= 4);
      await sup.stop();
      const gaps = starts.slice(1).map((s, i) => s - starts[i]);
      assert.ok(gaps[0] >= 18 && gaps[1] >= 55 && gaps[2] >= 170, `gaps ${gaps}`);
      assert.deepEqual(exits[0].stderr, ["boom"]);
      assert.equal(exits[0].code, 3);
    });

    await t.step("a child ignoring SIGTERM is SIGKILLed after the timeout", async () => {
      let pid = 0;
      const sup = new ProcessSupervisor({
        name: "stubborn",
        command: script("trap '' TERM; echo ready; while :; do sleep 0.05; done"),
        onStart: (child) => (pid = child.pid),
        onStdout: () => {},
        stopTimeoutMs: 200,
        logger: silentLogger,
      });
      sup.start();
      await until(() => pid !== 0);
      await new Promise((r) => setTimeout(r, 100)); // let the trap be installed
      const t0 = performance.now();
      await sup.stop();
      assert.equal(alive(pid), false);
      assert.ok(performance.now() - t0 >= 190);
    });

    await t.step("gracefulStop runs first (close stdin: the child exits on EOF)", async () => {
      let pid = 0;
      let graceful = false;
      const sup = new ProcessSupervisor({
        name: "reader",
        command: script("cat > /dev/null"),
        stdin: "piped",
        onStart: (child) => (pid = child.pid),
        gracefulStop: async (child) => {
          graceful = true;
          await child.stdin.close();
        },
        logger: silentLogger,
      });
      sup.start();
      await until(() => pid !== 0);
      await sup.stop();
      assert.equal(graceful, true);
      assert.equal(alive(pid), false);
    });

    await t.step("a missing binary is retried, not thrown", async () => {
      const exits: ExitInfo[] = [];
      const sup = new ProcessSupervisor({
        name: "missing",
        command: () => ({ binary: "/nonexistent/vigil-camera", args: [] }),
        onExit: (info) => exits.push(info),
        backoff: { initialMs: 10 },
        logger: silentLogger,
      });
      sup.start();
      await until(() => exits.length >= 2);
      await sup.stop();
      assert.equal(exits[0].code, null);
      assert.match(exits[0].stderr[0], /spawn failed/);
    });

    await t.step("killSupervisedChildren (the unload hook) kills running children", async () => {
      const exits: ExitInfo[] = [];
      let pid = 0;
      const sup = new ProcessSupervisor({
        name: "victim",
        command: script("exec sleep 30"),
        onStart: (child) => (pid = child.pid),
        onExit: (info) => exits.push(info),
        backoff: { initialMs: 5000 },
        logger: silentLogger,
      });
      sup.start();
      await until(() => pid !== 0);
      killSupervisedChildren();
      await until(() => exits.length === 1);
      assert.equal(exits[0].signal, "SIGKILL");
      await sup.stop();
    });

    await t.step(
      "installChildCleanup: SIGTERM to the publisher takes its children down",
      async () => {
        const dir = await Deno.makeTempDir();
        const main = `${dir}/main.ts`;
        await Deno.writeTextFile(
          main,
          `import { installChildCleanup, ProcessSupervisor } from ${
            JSON.stringify(new URL("./supervisor.ts", import.meta.url).href)
          };
installChildCleanup({ graceMs: 500 });
new ProcessSupervisor({
  name: "cam",
  command: () => ({ binary: "sleep", args: ["30"] }),
  onStart: (c) => console.log(c.pid),
}).start();
`,
        );
        const proc = new Deno.Command(Deno.execPath(), {
          args: ["run", "--no-lock", "--allow-run=sleep", "--allow-read", main],
          stdout: "piped",
          stderr: "null",
        }).spawn();
        const reader = proc.stdout.getReader();
        const { value } = await reader.read();
        const childPid = Number(new TextDecoder().decode(value).trim());
        assert.ok(alive(childPid));
        proc.kill("SIGTERM");
        const status = await proc.status;
        reader.releaseLock();
        await proc.stdout.cancel();
        assert.equal(status.code, 143);
        assert.equal(status.signal, null, "exited through the handler, not killed by the signal");
        await until(() => !alive(childPid), 2000);
        await Deno.remove(dir, { recursive: true });
      },
    );
  },
});

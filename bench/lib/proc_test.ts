import assert from "node:assert/strict";
import { findChildPid, ppidOf, procCpuSeconds, procStatusMiB, sampleWindow } from "./proc.ts";

Deno.test({
  name: "proc: this process has CPU time, a resident set and a parent",
  ignore: Deno.build.os !== "linux",
  async fn() {
    assert.ok(procCpuSeconds(Deno.pid) > 0);
    assert.ok(procStatusMiB(Deno.pid, "VmRSS") > 10);
    assert.equal(ppidOf(Deno.pid), Deno.ppid);
    const w = await sampleWindow(Deno.pid, 0.5);
    assert.ok(w.wallS >= 0.45 && w.rssMaxMiB > 10);
    const child = new Deno.Command("sleep", { args: ["5"] }).spawn();
    try {
      // The child's command line is "sleep" only once it has exec'd: poll briefly.
      let found: number | null = null;
      for (let i = 0; i < 100 && found === null; i++) {
        found = findChildPid(Deno.pid, "sleep");
        if (found === null) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(found, child.pid);
    } finally {
      child.kill();
      await child.status;
    }
  },
});

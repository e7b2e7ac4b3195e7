import assert from "node:assert/strict";
import { startNats } from "../../tests/helpers/cluster/nats_server.ts";
import { ignoreUnlessInstalled } from "../../tests/helpers/cluster/requirements.ts";
import { openBus } from "./open.ts";
import { topics } from "./topics.ts";

const base = { busPasswordFile: null, busCaFile: null, busNkeyFile: null, nodeId: null };

Deno.test("openBus: in-process by default, always connected", async () => {
  const b = await openBus({ ...base, bus: null }, "n1");
  assert.equal(b.kind, "in-process");
  assert.equal(b.health().state, "connected");
  await b.close();
});

Deno.test({
  name: "openBus: NATS with a password file, and with an nkey seed file",
  ignore: ignoreUnlessInstalled("nats"),
  fn: async () => {
    await using pw = await startNats({ auth: true });
    await using nk = await startNats({ nkey: true });
    const viaPassword = await openBus({
      ...base,
      bus: pw.url.replace("nats://", "nats://vigil@"),
      busPasswordFile: pw.passwordFile!,
    }, "a");
    const viaNkey = await openBus({ ...base, bus: nk.url, busNkeyFile: nk.nkeySeedFile! }, "b");
    try {
      for (const b of [viaPassword, viaNkey]) {
        assert.equal(b.kind, "nats");
        const got = new Promise((resolve) => b.bus.subscribe(topics.presenceSync, resolve));
        await (b.bus as unknown as { flush(): Promise<void> }).flush();
        b.bus.publish(topics.presenceSync, { node: "x" });
        assert.deepEqual(await got, { node: "x" });
      }
    } finally {
      await viaPassword.close();
      await viaNkey.close();
    }
  },
});

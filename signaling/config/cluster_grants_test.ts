import assert from "node:assert/strict";
import {
  grantFlags,
  mergeGrants,
  natsGrants,
  POSTGRES_JS_ENV,
  postgresGrants,
} from "./cluster_grants.ts";

Deno.test("cluster permissions: each client's grants and their flags", () => {
  const nats = natsGrants({
    servers: [{ host: "nats-1", port: 4222 }, { host: "10.0.0.2", port: 4222 }],
    files: ["/etc/vigil/nats.password"],
  });
  assert.deepEqual(nats, {
    net: ["nats-1:4222", "10.0.0.2:4222"],
    read: ["/etc/vigil/nats.password"],
    ignoreEnv: [],
  });
  const pg = postgresGrants({ servers: [{ host: "::1", port: 5432 }], files: ["/run/pg.pass"] });
  assert.deepEqual(pg.net, ["[::1]:5432"]);
  assert.ok(pg.ignoreEnv.includes("PGSSL") && pg.ignoreEnv.includes("PGHOST"));
  assert.deepEqual(pg.ignoreEnv, [...POSTGRES_JS_ENV]);
  const flags = grantFlags(mergeGrants(nats, pg, natsGrants({ servers: [], files: [] })));
  assert.deepEqual(flags, [
    "--allow-net=nats-1:4222,10.0.0.2:4222,[::1]:5432",
    "--allow-read=/etc/vigil/nats.password,/run/pg.pass",
    `--ignore-env=${POSTGRES_JS_ENV.join(",")}`,
  ]);
  assert.deepEqual(grantFlags({ net: [], read: [], ignoreEnv: [] }), [], "nothing, not everything");
});

Deno.test("cluster permissions: values that would widen a flag are refused", () => {
  assert.throws(() => natsGrants({ servers: [{ host: "a,b", port: 1 }] }), RangeError);
  assert.throws(() => natsGrants({ servers: [{ host: "a", port: 0 }] }), RangeError);
  assert.throws(() => natsGrants({ servers: [{ host: "", port: 1 }] }), RangeError);
  assert.throws(() => postgresGrants({ servers: [], files: ["/a,/etc"] }), RangeError);
  assert.throws(() => postgresGrants({ servers: [], files: ["relative"] }), RangeError);
});

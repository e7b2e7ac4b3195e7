import assert from "node:assert/strict";
import { parseShowStat } from "./haproxy_stats.ts";

Deno.test("haproxy stats: rows of show stat", () => {
  const csv = [
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight",
    "device,FRONTEND,,,1,2,2000,5,0,0,0,0,0,,,,,OPEN,",
    "device_nodes,a,0,0,1,1,,3,0,0,,0,,0,0,0,0,UP,1",
    "device_nodes,b,0,0,0,1,,2,0,0,,0,,0,0,0,0,DOWN 1/2,1",
    "device_nodes,BACKEND,0,0,1,2,200,5,0,0,0,0,,0,0,0,0,UP,2",
    "",
  ].join("\n");
  const rows = parseShowStat(csv);
  assert.equal(rows.length, 4);
  assert.deepEqual(rows[0], {
    proxy: "device",
    server: "FRONTEND",
    status: "OPEN",
    current: 1,
    total: 5,
  });
  assert.deepEqual(rows[2], {
    proxy: "device_nodes",
    server: "b",
    status: "DOWN 1/2",
    current: 0,
    total: 2,
  });
  assert.throws(() => parseShowStat("Unknown command.\n"), /not a show stat answer/);
  assert.throws(() => parseShowStat("# a,b\n1,2\n"), /lacks/);
});

import assert from "node:assert/strict";
import { isCheckedUp, parseShowStat } from "./haproxy_stats.ts";

Deno.test("haproxy stats: rows of show stat", () => {
  const csv = [
    "# pxname,svname,scur,stot,status,weight,check_status",
    "device,FRONTEND,1,5,OPEN,,",
    "device_nodes,a,1,3,UP,1,L4OK",
    "device_nodes,b,0,2,DOWN 1/2,1,L6TOUT",
    "device_nodes,c,0,0,UP,1,INI",
    "device_nodes,BACKEND,1,5,UP,2,",
    "",
  ].join("\n");
  const rows = parseShowStat(csv);
  assert.equal(rows.length, 5);
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
    check: "L6TOUT",
    current: 0,
    total: 2,
  });
  assert.deepEqual(rows.map(isCheckedUp), [false, true, false, false, false], "c is unchecked");
  assert.throws(() => parseShowStat("Unknown command.\n"), /not a show stat answer/);
  assert.throws(() => parseShowStat("# a,b\n1,2\n"), /lacks/);
});

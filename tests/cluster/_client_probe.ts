/**
 * One real operation with a cluster client, run by client_permissions_test.ts
 * in a child with exactly the computed `deno run` flags. Prints `ok` and the
 * result; a permission error ends it with the error's name and message.
 *
 * Usage: `_client_probe.ts nats URL USER PASSWORD_FILE CA_FILE`
 *        `_client_probe.ts postgres HOST PORT USER DATABASE PASSWORD_FILE`
 *        `_client_probe.ts store URL PASSWORD_FILE CA_FILE` (the store as a node opens it, TLS)
 *        `_client_probe.ts bus URL USER PASSWORD_FILE` (the bus as a node opens it)
 * @module
 */
import { connect } from "@nats-io/transport-node";
import postgres from "postgres";
import { openStore } from "../../signaling/store/open.ts";
import { NatsBus } from "../../signaling/bus/nats_bus.ts";

const [kind, ...a] = Deno.args;
try {
  if (kind === "nats") {
    const [url, user, passwordFile, caFile] = a;
    const nc = await connect({
      servers: url,
      user,
      pass: await Deno.readTextFile(passwordFile),
      tls: { ca: await Deno.readTextFile(caFile) },
      reconnect: false,
    });
    nc.subscribe("probe", {
      callback: (_e, m) => {
        m.respond(`re:${m.string()}`);
      },
    });
    console.log(`ok ${(await nc.request("probe", "x", { timeout: 2000 })).string()}`);
    await nc.close();
  } else if (kind === "postgres") {
    const [host, port, username, database, passwordFile] = a;
    const sql = postgres({
      host,
      port: Number(port),
      username,
      database,
      password: await Deno.readTextFile(passwordFile),
      max: 1,
      onnotice: () => {},
    });
    const [row] = await sql`select current_user as u`;
    console.log(`ok ${row.u}`);
    await sql.end();
  } else if (kind === "store") {
    const [store, storePasswordFile, storeCaFile] = a;
    const s = await openStore({ dataDir: "/nonexistent", store, storePasswordFile, storeCaFile });
    console.log(`ok ${await s.events.last()}`);
    await s.close();
  } else if (kind === "bus") {
    const [servers, user, passwordFile] = a;
    const bus = await NatsBus.connect({
      servers,
      user,
      password: await Deno.readTextFile(passwordFile),
      log: () => {},
    });
    console.log(`ok ${bus.health().state}`);
    await bus.close();
  } else {
    throw new Error(`unknown client ${kind}`);
  }
} catch (err) {
  console.log(`failed ${(err as Error).name}: ${(err as Error).message}`);
  Deno.exit(1);
}

import assert from "node:assert/strict";
import {
  describeConnectError,
  postgresSslOption,
  resolveStoreTls,
  storeTlsFiles,
  type StoreTlsSettings,
} from "./postgres_tls.ts";

const none: StoreTlsSettings = {
  storeTls: null,
  storeCaFile: null,
  storeCertFile: null,
  storeKeyFile: null,
};
const s = (o: Partial<StoreTlsSettings>) => ({ ...none, ...o });

Deno.test("store TLS: a CA file means verify-full; nothing asked means none, as before", () => {
  assert.deepEqual(resolveStoreTls(undefined, none), {
    mode: "disable",
    caFile: null,
    certFile: null,
    keyFile: null,
  });
  assert.equal(resolveStoreTls(undefined, s({ storeCaFile: "/ca" })).mode, "verify-full");
  assert.equal(resolveStoreTls("verify-full", s({ storeCaFile: "/ca" })).mode, "verify-full");
  assert.equal(resolveStoreTls(undefined, s({ storeTls: "verify-full" })).mode, "verify-full");
  assert.equal(resolveStoreTls(undefined, s({ storeTls: "require" })).mode, "require");
  assert.equal(resolveStoreTls("require", none).mode, "require");
  assert.equal(resolveStoreTls("disable", none).mode, "disable");
  const cert = resolveStoreTls(undefined, s({ storeCertFile: "/c", storeKeyFile: "/k" }));
  assert.equal(cert.mode, "verify-full", "a client certificate alone still verifies the server");
  assert.deepEqual(
    storeTlsFiles(
      resolveStoreTls(
        undefined,
        s({ storeCaFile: "/ca", storeCertFile: "/c", storeKeyFile: "/k" }),
      ),
    ),
    ["/ca", "/c", "/k"],
  );
  assert.deepEqual(storeTlsFiles(resolveStoreTls(undefined, none)), []);
});

Deno.test("store TLS: the URL's sslmode never weakens a flag; contradictions are one-line errors", () => {
  const bad = (sslmode: Parameters<typeof resolveStoreTls>[0], o: StoreTlsSettings, re: RegExp) =>
    assert.throws(() => resolveStoreTls(sslmode, o), (e: Error) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, re);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  bad("disable", s({ storeCaFile: "/ca" }), /sslmode=disable contradicts --store-ca-file/);
  bad("disable", s({ storeTls: "require" }), /sslmode=disable contradicts --store-tls require/);
  bad("require", s({ storeTls: "verify-full" }), /--store-tls verify-full contradicts .*require/);
  bad("verify-full", s({ storeTls: "require" }), /--store-tls require contradicts/);
  bad(undefined, s({ storeTls: "require", storeCaFile: "/ca" }), /require skips the certificate/);
  bad("require", s({ storeCaFile: "/ca" }), /sslmode=require skips the certificate check/);
  bad(undefined, s({ storeCertFile: "/c" }), /go together/);
  bad(undefined, s({ storeKeyFile: "/k" }), /go together/);
  assert.throws(
    () => resolveStoreTls(undefined, s({ storeCaFile: "/ca" }), false),
    /--store-ca-file needs --store/,
  );
  assert.equal(resolveStoreTls(undefined, none, false).mode, "disable");
});

Deno.test("store TLS: the client's ssl option checks the host, also for an IP address", () => {
  assert.equal(postgresSslOption({ mode: "disable", caPem: "x" }, "db"), false);
  assert.deepEqual(postgresSslOption({ mode: "verify-full", caPem: "CA" }, "db.internal"), {
    rejectUnauthorized: true,
    host: "db.internal",
    servername: "db.internal",
    ca: "CA",
  });
  // No SNI for an IP (RFC 6066), but the identity check must be against it, not "localhost".
  assert.deepEqual(postgresSslOption({ mode: "verify-full" }, "10.0.0.6"), {
    rejectUnauthorized: true,
    host: "10.0.0.6",
  });
  assert.deepEqual(
    postgresSslOption({ mode: "verify-full", caPem: "CA", certPem: "C", keyPem: "K" }, "::1"),
    { rejectUnauthorized: true, host: "::1", ca: "CA", cert: "C", key: "K" },
  );
  assert.deepEqual(postgresSslOption({ mode: "require", caPem: "CA" }, "db"), {
    rejectUnauthorized: false,
  });
});

Deno.test("store TLS: failures say which check failed", () => {
  const err = (code: string, message = "x") => Object.assign(new Error(message), { code });
  const full = { mode: "verify-full" as const, caFile: "/etc/vigil/pg-ca.pem" };
  assert.match(
    describeConnectError(err("SELF_SIGNED_CERT_IN_CHAIN"), full, "db"),
    /^TLS certificate verification failed: .*not signed by a CA of --store-ca-file \/etc\/vigil\/pg-ca\.pem/,
  );
  assert.match(
    describeConnectError(err("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), { mode: "verify-full" }, "db"),
    /the default trust store/,
  );
  assert.match(
    describeConnectError(err("ERR_TLS_CERT_ALTNAME_INVALID", "IP: 10.0.0.6 …"), full, "10.0.0.6"),
    /^TLS certificate verification failed: the server's certificate is not for 10\.0\.0\.6/,
  );
  assert.match(describeConnectError(err("CERT_HAS_EXPIRED"), full, "db"), /not valid now/);
  assert.match(describeConnectError(err("ECONNRESET"), full, "db"), /TLS handshake.*ssl=on/);
  assert.equal(
    describeConnectError(err("ECONNRESET", "reset"), { mode: "disable" }, "db"),
    "reset",
  );
  assert.equal(
    describeConnectError(err("28P01", "password failed"), full, "db"),
    "password failed",
  );
});

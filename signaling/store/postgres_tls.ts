/**
 * TLS of the link to the cluster's PostgreSQL: the mode the settings ask for
 * (flags and the URL's `sslmode`, where neither may weaken the other), the
 * `postgres` client's `ssl` option for it, and clear messages for its
 * failures. Pure. The modes are libpq's:
 *
 * - `disable` (no TLS setting given): clear text, as before TLS existed.
 * - `verify-full` (what `--store-ca-file` means): TLS or no connection; the
 *   server's certificate must chain to the CA file (only to it: it replaces
 *   the default roots) or, without one, to Deno's default roots, and must
 *   name the `--store` host (DNS name, or IP address SAN for an IP).
 * - `require`: TLS or no connection, certificate not checked: protects from
 *   listening only, not from an active man in the middle.
 *
 * The client never falls back to clear text: a server without TLS ends the
 * handshake and the connection fails.
 *
 * @example
 * ```ts
 * const tls = resolveStoreTls(undefined, { storeTls: null, storeCaFile: "/etc/vigil/pg-ca.pem",
 *   storeCertFile: null, storeKeyFile: null });
 * tls.mode; // "verify-full"
 * postgresSslOption({ mode: tls.mode, caPem }, "db.internal"); // { rejectUnauthorized: true, ca, host, servername }
 * ```
 * @module
 */
import { isIP } from "node:net";
import type { UrlSslmode } from "./postgres_url.ts";

/** How the store link is protected. */
export type StoreTlsMode = "disable" | "require" | "verify-full";

/** The TLS settings of the store (`--store-tls`, `--store-ca-file`, …). */
export interface StoreTlsSettings {
  storeTls: "require" | "verify-full" | null;
  storeCaFile: string | null;
  storeCertFile: string | null;
  storeKeyFile: string | null;
}

/** The resolved TLS of the store link: its mode and the files it reads. */
export interface StoreTls {
  mode: StoreTlsMode;
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
}

/** The TLS of a connection with the files' contents (what `postgres.ts` takes). */
export interface StoreTlsMaterial {
  mode: StoreTlsMode;
  /** PEM CA bundle; without it `verify-full` uses the default roots. */
  caPem?: string;
  /** PEM client certificate (chain) and its key, for `cert` authentication. */
  certPem?: string;
  keyPem?: string;
  /** Where `caPem` came from, for error messages. */
  caFile?: string | null;
}

/**
 * The store's TLS from the URL's `sslmode` and the flags. Throws a one-line
 * `TypeError` for a contradiction: flags without `--store`, a certificate
 * without its key, `sslmode=disable` with a TLS flag, `--store-tls` and
 * `sslmode` disagreeing, or `require` with a CA file (that asks for a check
 * `require` skips).
 */
export function resolveStoreTls(
  sslmode: UrlSslmode | undefined,
  s: StoreTlsSettings,
  hasStore = true,
): StoreTls {
  const given = [
    s.storeTls !== null && `--store-tls ${s.storeTls}`,
    s.storeCaFile !== null && "--store-ca-file",
    s.storeCertFile !== null && "--store-cert-file",
    s.storeKeyFile !== null && "--store-key-file",
  ].filter((x): x is string => !!x);
  if (!hasStore) {
    if (given.length) throw new TypeError(`${given[0]} needs --store postgres://…`);
    return { mode: "disable", caFile: null, certFile: null, keyFile: null };
  }
  if ((s.storeCertFile === null) !== (s.storeKeyFile === null)) {
    throw new TypeError("--store-cert-file and --store-key-file go together");
  }
  if (sslmode === "disable" && given.length) {
    throw new TypeError(`the --store URL's sslmode=disable contradicts ${given[0]}`);
  }
  if (sslmode && s.storeTls && sslmode !== s.storeTls) {
    throw new TypeError(
      `--store-tls ${s.storeTls} contradicts the --store URL's sslmode=${sslmode}`,
    );
  }
  const asked = s.storeTls ?? sslmode;
  if (asked === "require" && s.storeCaFile !== null) {
    throw new TypeError(
      `${
        s.storeTls ? "--store-tls require" : "sslmode=require"
      } skips the certificate check --store-ca-file asks for: drop it (a CA file means verify-full)`,
    );
  }
  const mode = asked ??
    (s.storeCaFile !== null || s.storeCertFile !== null ? "verify-full" : "disable");
  return { mode, caFile: s.storeCaFile, certFile: s.storeCertFile, keyFile: s.storeKeyFile };
}

/** The files the store's TLS reads (for the process's read grants). */
export function storeTlsFiles(t: StoreTls): string[] {
  return [t.caFile, t.certFile, t.keyFile].filter((f): f is string => f !== null);
}

/**
 * The `ssl` option of `postgres` (3.4.9 passes an object to `tls.connect`).
 * `host` is set because the client gives no host to `tls.connect` for an IP
 * address: Node's identity check then falls back to "localhost", so a
 * certificate for localhost would pass for any IP (measured under Deno 2.9.6).
 */
export function postgresSslOption(
  m: StoreTlsMaterial,
  host: string,
): false | Record<string, unknown> {
  if (m.mode === "disable") return false;
  const client = m.certPem && m.keyPem ? { cert: m.certPem, key: m.keyPem } : {};
  if (m.mode === "require") return { rejectUnauthorized: false, ...client };
  return {
    rejectUnauthorized: true,
    host,
    ...(isIP(host) ? {} : { servername: host }),
    ...(m.caPem ? { ca: m.caPem } : {}),
    ...client,
  };
}

/** OpenSSL/Node codes of a server certificate that does not chain to a trusted CA. */
const UNTRUSTED = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
]);

/**
 * A connection error as the operator should read it: TLS failures say which
 * check failed and against what; anything else is its own message.
 */
export function describeConnectError(
  err: Error & { code?: string },
  tls: { mode: StoreTlsMode; caFile?: string | null },
  host: string,
): string {
  const code = err.code ?? "";
  const roots = tls.caFile ? `--store-ca-file ${tls.caFile}` : "the default trust store";
  if (UNTRUSTED.has(code)) {
    return `TLS certificate verification failed: the server's certificate is not signed by a CA of ${roots} (${code})`;
  }
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
    return `TLS certificate verification failed: the server's certificate is not valid now (${code})`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `TLS certificate verification failed: the server's certificate is not for ${host} (verify-full checks the --store host): ${err.message}`;
  }
  if (tls.mode !== "disable" && code === "ECONNRESET") {
    return `the connection closed during the TLS handshake (does the server have ssl=on?): ${err.message}`;
  }
  return err.message;
}

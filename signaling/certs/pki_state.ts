/**
 * The server's PKI on disk: the root CA, the server certificate (renewed
 * automatically when a third of its life is left or its names changed) and
 * the CRL. Files live under `<dataDir>/pki/`; private keys are 0600.
 * @module
 */
import { join } from "node:path";
import {
  type CaBundle,
  certInfo,
  createCrl,
  createRootCa,
  fingerprint256,
  issueServerCertificate,
  loadCa,
  writePublicFile,
  writeSecretFile,
} from "../../pki/mod.ts";
import { X509Certificate } from "node:crypto";

/** What the listeners need from the PKI. */
export interface PkiState {
  ca: CaBundle;
  caPem: string;
  /** SHA-256 fingerprint of the CA, "AB:CD:…", for pinning by devices. */
  caFingerprint: string;
  serverCertPem: string;
  serverKeyPem: string;
  serverNotAfter: Date;
}

/** Paths of the PKI files. */
export function pkiPaths(dataDir: string) {
  const dir = join(dataDir, "pki");
  return {
    dir,
    caCert: join(dir, "ca.pem"),
    caKey: join(dir, "ca.key"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server.key"),
  };
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/** Creates the CA on first use; returns whether it was created. */
export async function ensureCa(dataDir: string): Promise<{ created: boolean; ca: CaBundle }> {
  const p = pkiPaths(dataDir);
  let certPem = await readIfExists(p.caCert);
  let keyPem = await readIfExists(p.caKey);
  let created = false;
  if (!certPem || !keyPem) {
    if (certPem || keyPem) {
      throw new Error(`half a CA in ${p.dir}: restore both ca.pem and ca.key or remove both`);
    }
    const root = await createRootCa({ commonName: "vigil root CA" });
    await writeSecretFile(p.caKey, root.keyPem);
    await writePublicFile(p.caCert, root.certPem);
    certPem = root.certPem;
    keyPem = root.keyPem;
    created = true;
  }
  return { created, ca: await loadCa(certPem, keyPem) };
}

/**
 * Ensures the CA and a current server certificate covering `dnsNames` and
 * `ipAddresses` exist, issuing or renewing as needed.
 */
export async function ensurePki(
  dataDir: string,
  names: { dnsNames: string[]; ipAddresses: string[] },
  now = new Date(),
  /** The cluster's CA (certs/shared_keys.ts) instead of the data dir's own. */
  sharedCa?: { certPem: string; keyPem: string },
): Promise<PkiState & { createdCa: boolean; renewedServer: boolean }> {
  const p = pkiPaths(dataDir);
  const { created, ca } = sharedCa
    ? { created: false, ca: await loadCa(sharedCa.certPem, sharedCa.keyPem) }
    : await ensureCa(dataDir);
  // The cluster's CA certificate (public) beside this node's own files: healthchecks trust it.
  if (sharedCa && await readIfExists(p.caCert) !== sharedCa.certPem) {
    await writePublicFile(p.caCert, sharedCa.certPem);
  }
  let serverCertPem = await readIfExists(p.serverCert);
  let serverKeyPem = await readIfExists(p.serverKey);
  let renewed = false;
  if (!serverCertPem || !serverKeyPem || needsRenewal(serverCertPem, names, ca.certPem, now)) {
    const issued = await issueServerCertificate(ca, { ...names, now });
    await writeSecretFile(p.serverKey, issued.keyPem);
    await writePublicFile(p.serverCert, issued.certPem);
    serverCertPem = issued.certPem;
    serverKeyPem = issued.keyPem;
    renewed = true;
  }
  return {
    ca,
    caPem: ca.certPem,
    caFingerprint: fingerprint256(ca.certPem),
    serverCertPem,
    serverKeyPem,
    serverNotAfter: certInfo(serverCertPem).notAfter,
    createdCa: created,
    renewedServer: renewed,
  };
}

/** Renew when a third of the lifetime is left, the names changed, or the CA changed. */
export function needsRenewal(
  certPem: string,
  names: { dnsNames: string[]; ipAddresses: string[] },
  caPem: string,
  now: Date,
): boolean {
  const info = certInfo(certPem);
  const life = info.notAfter.getTime() - info.notBefore.getTime();
  if (info.notAfter.getTime() - now.getTime() < life / 3) return true;
  if (info.issuerCn !== certInfo(caPem).subjectCn) return true;
  const x = new X509Certificate(certPem);
  if (!x.verify(new X509Certificate(caPem).publicKey)) return true;
  const san = x.subjectAltName ?? "";
  return [
    ...names.dnsNames.map((d) => `DNS:${d}`),
    ...names.ipAddresses.map((i) => `IP Address:${i}`),
  ]
    .some((entry) => !san.split(", ").includes(entry));
}

/** A fresh CRL valid for a day. */
export function currentCrl(
  ca: CaBundle,
  revoked: { serial: string; revokedAt: number }[],
  now = new Date(),
): Promise<string> {
  return createCrl(
    ca,
    revoked.map((r) => ({ serial: r.serial, revokedAt: new Date(r.revokedAt) })),
    {
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 86_400_000),
      crlNumber: Math.floor(now.getTime() / 1000),
    },
  );
}

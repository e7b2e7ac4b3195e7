/**
 * Key material shared by every node of a cluster, kept in the shared store
 * sealed under the key-encryption key (auth/kek.ts): the root CA (name `ca`:
 * its certificate and key), each JWT signing key's private half
 * (`jwt-<kid>`), and the CA certificate in the clear (`ca.cert`: public, so
 * that operator commands print its fingerprint without the KEK). The first
 * node to start creates the CA; a node that loses that race takes the
 * winner's (`putIfAbsent`). Each node keeps only its own server certificate
 * in its data dir, issued by the shared CA.
 *
 * @example
 * ```ts
 * const ca = await sharedCa(store, kek);
 * const ring = await loadKeyRing(store, sealedKeySource(store, kek));
 * ```
 * @module
 */
import { createRootCa } from "../../pki/mod.ts";
import type { PrivateKeySource } from "../auth/jwt_keys.ts";
import { seal, unseal } from "../auth/kek.ts";
import type { Store } from "../store/store.ts";

/** The cluster's CA, created and stored sealed if the store has none yet. */
export async function sharedCa(
  store: Store,
  kek: CryptoKey,
): Promise<{ certPem: string; keyPem: string }> {
  let sealed = await store.sealedKeys.get("ca");
  if (!sealed) {
    const root = await createRootCa({ commonName: "vigil root CA" });
    const mine = await seal(
      kek,
      "ca",
      JSON.stringify({ certPem: root.certPem, keyPem: root.keyPem }),
    );
    sealed = await store.sealedKeys.putIfAbsent("ca", mine, Date.now());
  }
  const ca = JSON.parse(await unseal(kek, "ca", sealed)) as { certPem: string; keyPem: string };
  await store.sealedKeys.putIfAbsent("ca.cert", ca.certPem, Date.now());
  return ca;
}

/** The cluster's CA certificate (public), or null before the first node started. */
export function sharedCaCertificate(store: Store): Promise<string | null> {
  return store.sealedKeys.get("ca.cert");
}

/** JWT private keys sealed in the store. */
export function sealedKeySource(store: Store, kek: CryptoKey): PrivateKeySource {
  return {
    async save(kid, pem) {
      const name = `jwt-${kid}`;
      await store.sealedKeys.putIfAbsent(name, await seal(kek, name, pem), Date.now());
    },
    async remove(kids) {
      await store.sealedKeys.remove(kids.map((kid) => `jwt-${kid}`));
    },
    async load(kid) {
      const name = `jwt-${kid}`;
      const sealed = await store.sealedKeys.get(name);
      if (!sealed) throw new Error(`the store has no private key for JWT key ${kid}`);
      return await unseal(kek, name, sealed);
    },
  };
}

/**
 * The single place that loads @peculiar/x509. It needs the reflect-metadata
 * polyfill evaluated before it (its ASN.1 schemas use decorators) and a
 * WebCrypto provider; every PKI module imports `x509` from here so that
 * setup can't be skipped or reordered.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto);

export { x509 };

/** Signature algorithm for everything this CA signs (P-256 keys). */
export const ECDSA_SHA256: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

/**
 * ECDSA P-256 keys: generation, PEM export and import. P-256 everywhere,
 * because browsers require it for TLS and it keeps one code path.
 */
import {
  derOctetString,
  derSequence,
  derUnsignedInteger,
  readDer,
  readDerChildren,
} from "./der.ts";
import { decodePemBlocks, derToPem, fromHex, type PemBlock, toHex } from "./encoding.ts";
import { PkiError } from "./errors.ts";

/** WebCrypto parameters of an ECDSA P-256 key. */
export const EC_P256: EcKeyImportParams = { name: "ECDSA", namedCurve: "P-256" };

/**
 * A fresh ECDSA P-256 key pair.
 *
 * @example
 * ```ts
 * const { privateKey, publicKey } = await generateEcKeyPair(false);
 * ```
 */
export async function generateEcKeyPair(extractable: boolean): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(EC_P256, extractable, ["sign", "verify"]);
}

/**
 * The device's key pair (ECDSA P-256), generated on the Pi. Extractable so
 * the Pi can store it with {@link exportPrivateKeyPem}; it never leaves the Pi.
 *
 * @example
 * ```ts
 * const keys = await generateDeviceKey();
 * const csr = await createCsr(keys, deviceId);
 * await writeSecretFile(keyPath, await exportPrivateKeyPem(keys.privateKey));
 * ```
 */
export async function generateDeviceKey(): Promise<CryptoKeyPair> {
  return await generateEcKeyPair(true);
}

/**
 * PKCS#8 PEM ("PRIVATE KEY") of an extractable private key. A key that can't
 * be exported throws `PkiError("key_malformed")`.
 *
 * @example
 * ```ts
 * const keyPem = await exportPrivateKeyPem(keys.privateKey);
 * ```
 */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  if (key.type !== "private" || !key.extractable) {
    throw new PkiError("key_malformed", "expected an extractable private key");
  }
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
  return derToPem(der, "PRIVATE KEY");
}

/**
 * Imports an ECDSA P-256 private key for signing, non-extractable. Accepts
 * PKCS#8 ("PRIVATE KEY", what this module writes and `openssl genpkey`
 * makes) and SEC1 ("EC PRIVATE KEY", what `openssl ecparam -genkey` makes),
 * so an operator can bring a CA key made with openssl. Anything else,
 * including encrypted keys and other curves, throws `PkiError("key_malformed")`.
 *
 * @example
 * ```ts
 * const key = await importEcPrivateKeyPem(await Deno.readTextFile("ca.key"));
 * ```
 */
export async function importEcPrivateKeyPem(pem: string): Promise<CryptoKey> {
  return await importPkcs8(privateKeyPkcs8(pem), false, ["sign"]);
}

/**
 * A key pair from a private key PEM (see {@link importEcPrivateKeyPem}): the
 * private key non-extractable, the public key derived from it. Lets the Pi
 * sign a renewal CSR with the key it already has.
 *
 * @example
 * ```ts
 * const keys = await importEcKeyPairPem(await Deno.readTextFile(keyPath));
 * const csr = await createCsr(keys, deviceId);
 * ```
 */
export async function importEcKeyPairPem(pem: string): Promise<CryptoKeyPair> {
  const pkcs8 = privateKeyPkcs8(pem);
  // WebCrypto has no "public key of this private key": go through the JWK,
  // whose x and y are the public point.
  const extractable = await importPkcs8(pkcs8, true, ["sign"]);
  const { kty, crv, x, y } = await crypto.subtle.exportKey("jwk", extractable);
  const publicKey = await crypto.subtle.importKey(
    "jwk",
    { kty, crv, x, y },
    EC_P256,
    true,
    ["verify"],
  );
  const privateKey = await importPkcs8(pkcs8, false, ["sign"]);
  return { privateKey, publicKey };
}

/**
 * Whether `privateKey` and `publicKey` are halves of one ECDSA pair, by
 * signing a random challenge and verifying it.
 *
 * @example
 * ```ts
 * if (!await keysMatch(caKey, caCertKey)) throw new Error("CA key does not match");
 * ```
 */
export async function keysMatch(privateKey: CryptoKey, publicKey: CryptoKey): Promise<boolean> {
  const challenge = crypto.getRandomValues(new Uint8Array(32));
  const algorithm = { name: "ECDSA", hash: "SHA-256" };
  try {
    const signature = await crypto.subtle.sign(algorithm, privateKey, challenge);
    return await crypto.subtle.verify(algorithm, publicKey, signature, challenge);
  } catch {
    return false;
  }
}

const PRIME256V1_OID = "06082a8648ce3d030107";
// AlgorithmIdentifier { id-ecPublicKey, prime256v1 } as DER.
const EC_P256_ALGORITHM_ID = "3013" + "06072a8648ce3d0201" + PRIME256V1_OID;

/**
 * PKCS#8 DER of a PEM private key, wrapping SEC1 keys. Checked here because
 * Deno's WebCrypto import is lazy: it takes a P-384 or corrupt key wrapped
 * as P-256 and only fails at the first use.
 */
function privateKeyPkcs8(pem: string): Uint8Array<ArrayBuffer> {
  let block: PemBlock;
  try {
    block = decodePemBlocks(pem)[0];
  } catch (err) {
    throw new PkiError("key_malformed", (err as Error).message, { cause: err });
  }
  switch (block.label) {
    case "PRIVATE KEY":
      assertP256Pkcs8(block.der);
      return block.der;
    case "EC PRIVATE KEY":
      assertP256Sec1(block.der);
      return derSequence(
        derUnsignedInteger(0),
        fromHex(EC_P256_ALGORITHM_ID),
        derOctetString(block.der),
      );
    case "ENCRYPTED PRIVATE KEY":
      throw new PkiError("key_malformed", "encrypted private keys are not supported");
    default:
      throw new PkiError("key_malformed", `expected PEM PRIVATE KEY, got ${block.label}`);
  }
}

/** RFC 5208 PrivateKeyInfo for id-ecPublicKey on prime256v1, holding a P-256 ECPrivateKey. */
function assertP256Pkcs8(der: Uint8Array): void {
  checkStructure(() => {
    const [version, algorithm, key] = readDerChildren(sequenceContent(der));
    if (version?.tag !== 0x02 || toHex(version.content) !== "00") return false;
    if (!algorithm || toHex(algorithm.der) !== EC_P256_ALGORITHM_ID) return false;
    if (key?.tag !== 0x04) return false;
    assertP256Sec1(key.content);
    return true;
  });
}

/** RFC 5915 ECPrivateKey: version 1, a 32-byte scalar, parameters (if any) prime256v1. */
function assertP256Sec1(der: Uint8Array): void {
  checkStructure(() => {
    const [version, scalar, ...optional] = readDerChildren(sequenceContent(der));
    if (version?.tag !== 0x02 || toHex(version.content) !== "01") return false;
    if (scalar?.tag !== 0x04 || scalar.content.length !== 32) return false;
    const params = optional.find((e) => e.tag === 0xa0);
    return !params || toHex(params.content) === PRIME256V1_OID;
  });
}

function sequenceContent(der: Uint8Array): Uint8Array {
  const outer = readDer(der);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new RangeError("not a SEQUENCE");
  return outer.content;
}

function checkStructure(check: () => boolean): void {
  let ok: boolean;
  try {
    ok = check();
  } catch (err) {
    if (err instanceof PkiError) throw err;
    ok = false;
  }
  if (!ok) throw new PkiError("key_malformed", "not an ECDSA P-256 private key");
}

async function importPkcs8(
  der: Uint8Array<ArrayBuffer>,
  extractable: boolean,
  usages: KeyUsage[],
): Promise<CryptoKey> {
  try {
    const key = await crypto.subtle.importKey("pkcs8", der, EC_P256, extractable, usages);
    // Import doesn't decode the key (see privateKeyPkcs8); one signature does.
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, new Uint8Array(1));
    return key;
  } catch (err) {
    throw new PkiError("key_malformed", "not a usable ECDSA P-256 private key", { cause: err });
  }
}

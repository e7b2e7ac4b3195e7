/**
 * A software WebAuthn authenticator for what Chromium's virtual one cannot
 * do in a test: a passkey whose authenticator only checks presence (no PIN or
 * biometrics, as a touch-only security key), and assertions with a chosen
 * signature counter. One ES256 key in WebCrypto, "none" attestation, a
 * discoverable credential; CBOR through @simplewebauthn/server's helpers.
 * It answers the JSON options of the server and returns the JSON
 * `@simplewebauthn/browser` would send (WebAuthn L3 §6.1 authenticator
 * data, §6.5 attestation object, §5.8.1 client data).
 * @module
 */
import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

const sha256 = async (b: Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", b as BufferSource));
const b64url = (b: Uint8Array) => isoBase64URL.fromBuffer(b as Uint8Array<ArrayBuffer>);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** An ASN.1 DER INTEGER of an unsigned big-endian number. */
function derInteger(n: Uint8Array): Uint8Array {
  let i = 0;
  while (i < n.length - 1 && n[i] === 0) i++;
  const v = n[i] & 0x80 ? concat(new Uint8Array([0]), n.slice(i)) : n.slice(i);
  return concat(new Uint8Array([0x02, v.length]), v);
}

/** WebCrypto's raw r‖s as the DER ECDSA-Sig-Value WebAuthn wants for ES256. */
function derSignature(raw: Uint8Array): Uint8Array {
  const body = concat(derInteger(raw.slice(0, 32)), derInteger(raw.slice(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

/** A software authenticator bound to one relying party and origin. */
export class SoftAuthenticator {
  readonly credentialId = crypto.getRandomValues(new Uint8Array(32));
  #keys: CryptoKeyPair | undefined;
  #userHandle = "";
  /** The next assertion's signature counter (settable to replay an old one). */
  counter = 1;

  constructor(
    readonly o: { rpId: string; origin: string; userVerified: boolean },
  ) {}

  get id(): string {
    return b64url(this.credentialId);
  }

  async #authData(flags: number, extra: Uint8Array = new Uint8Array()): Promise<Uint8Array> {
    const rpIdHash = await sha256(new TextEncoder().encode(this.o.rpId));
    const f = flags | FLAG_UP | (this.o.userVerified ? FLAG_UV : 0);
    return concat(rpIdHash, new Uint8Array([f]), u32(this.counter), extra);
  }

  #clientData(type: string, challenge: string): Uint8Array {
    return new TextEncoder().encode(
      JSON.stringify({ type, challenge, origin: this.o.origin, crossOrigin: false }),
    );
  }

  /** Answers `generateRegistrationOptions` JSON with a new credential. */
  async register(options: { challenge: string; user: { id: string } }) {
    this.#keys = await crypto.subtle.generateKey(
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["sign", "verify"],
    ) as CryptoKeyPair;
    this.#userHandle = options.user.id;
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", this.#keys.publicKey));
    // COSE_Key (RFC 9053): kty EC2, alg ES256, crv P-256, x, y.
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, raw.slice(1, 33)],
        [-3, raw.slice(33, 65)],
      ]),
    );
    const attested = concat(
      new Uint8Array(16), // AAGUID: none
      new Uint8Array([0, this.credentialId.length]),
      this.credentialId,
      cose,
    );
    this.counter = 0;
    const authData = await this.#authData(FLAG_AT, attested);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, string> | Uint8Array>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: b64url(this.#clientData("webauthn.create", options.challenge)),
        attestationObject: b64url(attestationObject),
        transports: ["usb"],
      },
      authenticatorAttachment: "cross-platform",
      clientExtensionResults: {},
    };
  }

  /** Answers `generateAuthenticationOptions` JSON with an assertion (counter + 1 first). */
  async authenticate(options: { challenge: string }, o: { keepCounter?: boolean } = {}) {
    if (!this.#keys) throw new Error("register first");
    if (!o.keepCounter) this.counter++;
    const authData = await this.#authData(0);
    const clientData = this.#clientData("webauthn.get", options.challenge);
    const signed = concat(authData, await sha256(clientData));
    const raw = new Uint8Array(
      await crypto.subtle.sign(
        { name: "ECDSA", hash: "SHA-256" },
        this.#keys.privateKey,
        signed as BufferSource,
      ),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(derSignature(raw)),
        userHandle: this.#userHandle,
      },
      clientExtensionResults: {},
    };
  }
}

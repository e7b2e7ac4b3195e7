import assert from "node:assert/strict";
import {
  decodePemBlocks,
  derOf,
  derToPem,
  fromBase64,
  fromHex,
  pemToDer,
  toBase64,
  toBase64Url,
  toHex,
} from "./encoding.ts";
import { PkiError } from "./errors.ts";

const isCode = (code: string) => (err: unknown) => err instanceof PkiError && err.code === code;

Deno.test("encoding", async (t) => {
  await t.step("hex round-trips and rejects odd or non-hex input", () => {
    const bytes = new Uint8Array([0, 1, 171, 255]);
    assert.equal(toHex(bytes), "0001abff");
    assert.deepEqual(fromHex("0001ABff"), bytes);
    assert.throws(() => fromHex("abc"), RangeError);
    assert.throws(() => fromHex("zz"), RangeError);
  });

  await t.step("base64 and base64url", () => {
    const bytes = new Uint8Array([251, 255, 254]);
    assert.equal(toBase64(bytes), "+//+");
    assert.equal(toBase64Url(bytes), "-__-");
    assert.equal(toBase64Url(new Uint8Array([255])), "_w");
    assert.deepEqual(fromBase64("+//+"), bytes);
    assert.throws(() => fromBase64("abc"), RangeError);
    assert.throws(() => fromBase64("ab-_"), RangeError);
  });

  await t.step("derToPem wraps at 64 columns and pemToDer reads it back", () => {
    const der = crypto.getRandomValues(new Uint8Array(100));
    const pem = derToPem(der, "X509 CRL");
    const lines = pem.trimEnd().split("\n");
    assert.equal(lines[0], "-----BEGIN X509 CRL-----");
    assert.equal(lines.at(-1), "-----END X509 CRL-----");
    assert.equal(lines[1].length, 64);
    assert.ok(pem.endsWith("\n"));
    assert.deepEqual(pemToDer(pem), der);
    assert.deepEqual(pemToDer(pem.replace(/\n/g, "\r\n")), der);
    assert.throws(() => derToPem(der, "bad label"), RangeError);
  });

  await t.step("decodePemBlocks reads every block, ignoring text around them", () => {
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array([4, 5]);
    const text = `leading text\n${derToPem(a, "CERTIFICATE")}between\n${
      derToPem(b, "PRIVATE KEY")
    }`;
    const blocks = decodePemBlocks(text);
    assert.deepEqual(blocks.map((x) => x.label), ["CERTIFICATE", "PRIVATE KEY"]);
    assert.deepEqual(blocks[1].der, b);
  });

  await t.step("malformed PEM throws pem_malformed", () => {
    const bad = [
      "",
      "no pem here",
      "-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----\n",
      "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
      "-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n",
      "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nAQID\n-----END EC PRIVATE KEY-----\n",
    ];
    for (const pem of bad) assert.throws(() => pemToDer(pem), isCode("pem_malformed"), pem);
  });

  await t.step("derOf checks the label and reports the caller's code", () => {
    const pem = derToPem(new Uint8Array([1]), "CERTIFICATE REQUEST");
    assert.deepEqual(derOf(pem, ["CERTIFICATE REQUEST"], "csr_malformed"), new Uint8Array([1]));
    assert.throws(() => derOf(pem, ["CERTIFICATE"], "cert_malformed"), isCode("cert_malformed"));
    assert.throws(() => derOf("junk", ["CERTIFICATE"], "cert_malformed"), isCode("cert_malformed"));
    assert.throws(
      () => derOf(new Uint8Array(), ["CERTIFICATE"], "cert_malformed"),
      isCode("cert_malformed"),
    );
    assert.deepEqual(derOf(new Uint8Array([7]), ["CERTIFICATE"], "x"), new Uint8Array([7]));
  });
});

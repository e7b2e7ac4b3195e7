import assert from "node:assert/strict";
import { createCrl } from "./crl.ts";
import { createCsr } from "./csr.ts";
import { signDeviceCsr } from "./device_cert.ts";
import { pemToDer } from "./encoding.ts";
import { PkiError } from "./errors.ts";
import { generateDeviceKey } from "./keys.ts";
import { newCa, openssl, opensslOk, opensslTest, withTempDir } from "./_testing.ts";
import { x509 } from "./x509_lib.ts";

const HOUR = 3_600_000;

opensslTest("createCrl", async (t) => {
  const { ca, certPem: caPem } = await newCa();
  const csr = await createCsr(await generateDeviceKey(), "cam");
  const revoked = await signDeviceCsr(ca, csr, { deviceId: "cam-revoked" });
  const good = await signDeviceCsr(ca, csr, { deviceId: "cam-good" });
  const now = new Date();

  await withTempDir(async (dir) => {
    const write = (name: string, text: string) => Deno.writeTextFile(`${dir}/${name}`, text);
    await write("ca.pem", caPem);
    await write("revoked.pem", revoked.certPem);
    await write("good.pem", good.certPem);
    const crlPem = await createCrl(
      ca,
      // An upper-case, colon-separated spelling of the serial must revoke too.
      [{ serial: revoked.serial.toUpperCase().replace(/(..)(?!$)/g, "$1:"), revokedAt: now }],
      { thisUpdate: now, nextUpdate: new Date(now.getTime() + HOUR), crlNumber: 7 },
    );
    await write("crl.pem", crlPem);
    const verifyWithCrl = (cert: string) =>
      openssl([
        "verify",
        "-crl_check",
        "-CRLfile",
        `${dir}/crl.pem`,
        "-CAfile",
        `${dir}/ca.pem`,
        `${dir}/${cert}`,
      ]);

    await t.step("is PEM labelled X509 CRL", () => {
      assert.match(crlPem, /^-----BEGIN X509 CRL-----\n[\s\S]+\n-----END X509 CRL-----\n$/);
    });

    await t.step("its signature verifies with the CA", async () => {
      const res = await openssl([
        "crl",
        "-in",
        `${dir}/crl.pem`,
        "-CAfile",
        `${dir}/ca.pem`,
        "-verify",
        "-noout",
      ]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr + res.stdout, /verify OK/);
    });

    await t.step("has the CRL number, AKI, dates and the revoked serial", async () => {
      const text = await opensslOk(["crl", "-in", `${dir}/crl.pem`, "-noout", "-text"]);
      assert.match(text, /X509v3 CRL Number: \n\s+7\n/);
      assert.match(text, /X509v3 Authority Key Identifier/);
      assert.match(text, /Next Update: /);
      assert.match(text, new RegExp(`Serial Number: 0*${revoked.serial.replace(/^0+/, "")}`, "i"));
      assert.doesNotMatch(text, new RegExp(good.serial, "i"));
    });

    await t.step("openssl rejects the revoked certificate", async () => {
      const res = await verifyWithCrl("revoked.pem");
      assert.notEqual(res.code, 0);
      assert.match(res.stderr + res.stdout, /certificate revoked/);
    });

    await t.step("openssl accepts an unrevoked certificate", async () => {
      const res = await verifyWithCrl("good.pem");
      assert.equal(res.code, 0, res.stderr + res.stdout);
    });

    await t.step("an empty CRL is valid and revokes nothing", async () => {
      await write(
        "crl.pem",
        await createCrl(ca, [], { thisUpdate: now, nextUpdate: new Date(now.getTime() + HOUR) }),
      );
      const res = await verifyWithCrl("revoked.pem");
      assert.equal(res.code, 0, res.stderr + res.stdout);
    });
  });
});

Deno.test("createCrl entries and arguments", async (t) => {
  const { ca } = await newCa();
  const thisUpdate = new Date("2030-01-01T00:00:00Z");
  const nextUpdate = new Date("2030-01-02T00:00:00Z");
  const parse = (pem: string) => new x509.X509Crl(pemToDer(pem));

  await t.step("duplicate serials collapse to the earliest revocation", async () => {
    const early = new Date("2029-12-01T00:00:00Z");
    const late = new Date("2029-12-05T00:00:00Z");
    const crl = parse(
      await createCrl(ca, [
        { serial: "0a", revokedAt: late },
        { serial: "0A", revokedAt: early },
        { serial: "7f" + "ff".repeat(15), revokedAt: late },
      ], { thisUpdate, nextUpdate }),
    );
    assert.equal(crl.entries.length, 2);
    assert.deepEqual(crl.findRevoked("0a")?.revocationDate, early);
    assert.ok(crl.findRevoked("7f" + "ff".repeat(15)));
    assert.deepEqual(crl.thisUpdate, thisUpdate);
    assert.deepEqual(crl.nextUpdate, nextUpdate);
  });

  await t.step("the default CRL number is thisUpdate in seconds", async () => {
    const crl = parse(await createCrl(ca, [], { thisUpdate, nextUpdate }));
    const ext = crl.getExtension("2.5.29.20")!;
    const seconds = BigInt(thisUpdate.getTime() / 1000);
    // INTEGER tag, length, big-endian value.
    const value = new Uint8Array(ext.value);
    assert.equal(value[0], 0x02);
    const n = value.slice(2).reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
    assert.equal(n, seconds);
  });

  await t.step("bad arguments are rejected", async () => {
    await assert.rejects(createCrl(ca, [], { thisUpdate, nextUpdate: thisUpdate }), RangeError);
    await assert.rejects(createCrl(ca, [], { thisUpdate, nextUpdate, crlNumber: -1 }), RangeError);
    await assert.rejects(createCrl(ca, [], { thisUpdate, nextUpdate, crlNumber: 1.5 }), RangeError);
    await assert.rejects(
      createCrl(ca, [{ serial: "zz", revokedAt: thisUpdate }], { thisUpdate, nextUpdate }),
      (err) => err instanceof PkiError && err.code === "serial_malformed",
    );
    await assert.rejects(
      createCrl(ca, [{ serial: "01", revokedAt: new Date(NaN) }], { thisUpdate, nextUpdate }),
      RangeError,
    );
  });
});

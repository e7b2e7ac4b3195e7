import assert from "node:assert/strict";
import { parseIceServerUrl } from "../../lib/ice_urls.ts";
import { isDnsName, publisherIceUrls } from "./publisher_urls.ts";

const parse = (s: string) => {
  const r = parseIceServerUrl(s);
  if (!r.ok) throw new Error(r.error);
  return r.url;
};

Deno.test("publisherIceUrls: names become IPv4 literals, literals and turns: stay", async () => {
  const asked: string[] = [];
  const dropped: string[] = [];
  const urls = await publisherIceUrls(
    [
      parse("turn:turn.example.com?transport=tcp"),
      parse("stun:stun.example.com:19302"),
      parse("turn:198.51.100.2:3478"),
      parse("turns:turn.example.com:443?transport=tcp"),
      parse("turn:gone.example.com"),
      parse("turn:v6only.example.com"),
    ],
    (name) => {
      asked.push(name);
      if (name === "gone.example.com") return Promise.reject(new Error("ENOTFOUND"));
      if (name === "v6only.example.com") return Promise.resolve(["2001:db8::1"]);
      return Promise.resolve(["203.0.113.10", "203.0.113.11"]);
    },
    (href, why) => dropped.push(`${href}: ${why}`),
  );
  assert.deepEqual(urls.map((u) => u.href), [
    "turn:203.0.113.10:3478?transport=tcp",
    "stun:203.0.113.10:19302",
    "turn:198.51.100.2:3478?transport=udp",
    "turns:turn.example.com:443?transport=tcp",
  ]);
  assert.equal(urls[0].host, "203.0.113.10");
  assert.deepEqual(asked, [
    "turn.example.com",
    "stun.example.com",
    "gone.example.com",
    "v6only.example.com",
  ]);
  assert.deepEqual(dropped, [
    "turn:gone.example.com:3478?transport=udp: ENOTFOUND",
    "turn:v6only.example.com:3478?transport=udp: no IPv4 address",
  ]);
});

Deno.test("isDnsName", () => {
  assert.equal(isDnsName("turn.example.com"), true);
  assert.equal(isDnsName("203.0.113.10"), false);
  assert.equal(isDnsName("2001:db8::1"), false);
});

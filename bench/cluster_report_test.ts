import assert from "node:assert/strict";
import { clusterMarkdown } from "./cluster_report.ts";

Deno.test("cluster report: bus table and one WHEP row per setup", () => {
  const md = clusterMarkdown({
    bus: {
      settings: { sequentialRequests: 1, concurrentRequests: 1, concurrency: 1, messages: 1 },
      payload: { offerBytes: 1, answerBytes: 1, messageBytes: 1 },
      inProcess: { requestP50Ms: 0.02, requestP99Ms: 0.08, requestsPerS: 40000, messagesPerS: 3e5 },
      nats: {
        requestP50Ms: 0.3,
        requestP99Ms: 1.1,
        requestsPerS: 9000,
        messagesPerS: 1.5e5,
        server: "2.9.10",
      },
    },
    whep: [
      {
        nodes: 1,
        concurrency: 8,
        seconds: 3,
        setups: 2000,
        setupsPerS: 666,
        postP50Ms: 6,
        postP99Ms: 19,
        other: {},
      },
      {
        nodes: 2,
        concurrency: 8,
        seconds: 3,
        setups: 1200,
        setupsPerS: 400,
        postP50Ms: 13,
        postP99Ms: 40,
        other: { "503": 1 },
      },
    ],
  });
  assert.match(md, /^### Bus: in-process vs NATS/);
  assert.match(md, /\| 1 \| 8 \| 666 \| 6 \| 19 \| \{\} \|/);
  assert.match(md, /\| 2 \| 8 \| 400 \| 13 \| 40 \| \{"503":1\} \|/);
});

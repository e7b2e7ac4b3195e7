import assert from "node:assert/strict";
import {
  PUBLISHER_MALLOC_TUNABLES,
  PUBLISHER_V8_FLAGS,
  publisherRuntimeEnv,
  publisherRuntimeFlags,
} from "./runtime_flags.ts";

Deno.test("publisherRuntimeFlags: one --v8-flags with the young-generation cap", () => {
  assert.deepEqual(publisherRuntimeFlags(), [`--v8-flags=${PUBLISHER_V8_FLAGS}`]);
  assert.match(PUBLISHER_V8_FLAGS, /^--max-semi-space-size=\d+$/);
});

Deno.test("publisherRuntimeEnv: our malloc tunable, an operator's own after it (the last one wins)", () => {
  assert.deepEqual(publisherRuntimeEnv(undefined), { GLIBC_TUNABLES: PUBLISHER_MALLOC_TUNABLES });
  assert.deepEqual(publisherRuntimeEnv(""), { GLIBC_TUNABLES: PUBLISHER_MALLOC_TUNABLES });
  assert.deepEqual(publisherRuntimeEnv("glibc.malloc.arena_max=2"), {
    GLIBC_TUNABLES: `${PUBLISHER_MALLOC_TUNABLES}:glibc.malloc.arena_max=2`,
  });
});

/**
 * Every spelling of "this host" a viewer or a local process might use to
 * reach the publisher's own loopback services: the candidate filter's unit
 * test and the privilege test probe them all.
 * @module
 */

/** Every spelling of "this host" the review probed, and more. */
export const LOOPBACK_AND_WILDCARD_FORMS = [
  "0.0.0.0",
  "0.0.0.1",
  "::",
  "[::]",
  "::1",
  "::ffff:127.0.0.1",
  "::ffff:7f00:1",
  "0:0:0:0:0:ffff:127.0.0.1",
  "127.1",
  "127.0.1",
  "0x7f000001",
  "0x7f.0.0.1",
  "2130706433",
  "0177.0.0.1",
  "127.000.000.001",
  "localhost",
  "localhost.",
  "0",
  "cam.local",
];

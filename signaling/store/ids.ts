/**
 * Identifiers of stored records, validated wherever they come in (operator
 * commands, WHEP routes).
 * @module
 */
import { z } from "zod";
import { DEVICE_ID_PATTERN } from "../../pki/mod.ts";

/** Device ids (= camera ids): DNS-label-like, lowercase. */
export const DEVICE_ID = z.string().regex(
  DEVICE_ID_PATTERN,
  "a device id is 1–63 characters of a-z, 0-9 and '-', starting with a letter or digit",
);

/** User names for viewer accounts. */
export const USER_NAME = z.string().regex(
  /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/,
  "a user name is 1–64 characters of letters, digits, '.', '_', '@' and '-'",
);

/** Hono environment types shared by the routes. @module */
import type { AccessClaims } from "../../auth/tokens.ts";

/** Bindings and per-request variables. */
export type AppEnv = {
  Bindings: { remoteAddr: string };
  Variables: { viewer: AccessClaims };
};

/**
 * The `/metrics` Bearer token from `--metrics-token-file`: one line, long
 * enough not to be guessed. A bad file stops the server with a clear message.
 * @module
 */

/** Shortest accepted token. */
export const MIN_METRICS_TOKEN = 32;

/** Reads the file's token, or null when no file is configured. */
export async function readMetricsToken(file: string | null): Promise<string | null> {
  if (!file) return null;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    throw new Error(`--metrics-token-file ${file}: ${(err as Error).message}`);
  }
  return parseMetricsToken(text, file);
}

/** The token in a token file's text. Pure. */
export function parseMetricsToken(text: string, file = "the metrics token file"): string {
  const token = text.trim();
  if (/\s/.test(token)) throw new Error(`${file}: the token must be one line without spaces`);
  if (token.length < MIN_METRICS_TOKEN || token.length > 512) {
    throw new Error(
      `${file}: the token must be ${MIN_METRICS_TOKEN}–512 characters (e.g. openssl rand -hex 32)`,
    );
  }
  return token;
}

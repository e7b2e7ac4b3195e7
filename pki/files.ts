/**
 * Writing keys and certificates to disk: atomically (a reader sees the old
 * file or the new one, never half of one) and with the right permissions
 * from the first byte.
 */

/**
 * Writes a secret (private key, token secret) as `path`, mode 0600. The
 * parent directory is created 0700 if missing. The data goes to a temporary
 * file in the same directory, is fsynced, then renamed over `path`.
 *
 * @example
 * ```ts
 * await writeSecretFile(`${dataDir}/pki/ca.key`, keyPem);
 * ```
 */
export async function writeSecretFile(path: string, data: string | Uint8Array): Promise<void> {
  await atomicWrite(path, data, 0o600);
}

/**
 * Writes a public file (certificate, CRL) as `path`, mode 0644, atomically
 * like {@link writeSecretFile} (parent directory created 0700 if missing).
 *
 * @example
 * ```ts
 * await writePublicFile(`${dataDir}/pki/ca.pem`, certPem);
 * ```
 */
export async function writePublicFile(path: string, data: string | Uint8Array): Promise<void> {
  await atomicWrite(path, data, 0o644);
}

async function atomicWrite(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const { dir, base } = splitPath(path);
  await ensureDir(dir);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const suffix = crypto.getRandomValues(new Uint32Array(2)).join("");
  const temp = `${dir}/.${base}.${suffix}.tmp`;
  // createNew: never follow or reuse something already at the temp name.
  const file = await Deno.open(temp, { write: true, createNew: true, mode });
  try {
    try {
      // The create mode is narrowed by the umask: set it exactly before any data goes in.
      await Deno.chmod(temp, mode);
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}

async function ensureDir(dir: string): Promise<void> {
  try {
    if ((await Deno.stat(dir)).isDirectory) return;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  // The umask may have narrowed the mode; a directory we made is exactly 0700.
  await Deno.chmod(dir, 0o700);
}

function splitPath(path: string): { dir: string; base: string } {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  const base = path.slice(slash + 1);
  if (base === "" || base === "." || base === "..") {
    throw new RangeError(`not a file path: ${path}`);
  }
  return { dir, base };
}

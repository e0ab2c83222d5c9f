import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let counter = 0;

/**
 * Writes `data` to `path` so that `path` always holds either its old contents or the
 * complete new ones: the bytes go to a temporary file beside it, which is then renamed
 * over `path` (a rename within one folder is atomic). An interrupted write leaves at most
 * a stray `.tmp` file, never a half-written `path`.
 * @example await writeFileAtomic('net.deep-compressed.safetensors', bytes)
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

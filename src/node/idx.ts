import { promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { readFromStream } from 'idx-data';
import { type IdxArray, IdxError, parseIdxHeader } from '../data/idx.js';

/**
 * Reads and validates an IDX file, then decodes it with the `idx-data` package.
 * @example const { shape, data } = await readIdx('t10k-labels-idx1-ubyte'); // [10000]
 */
export async function readIdx(file: string): Promise<IdxArray> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IdxError(file, code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? (e as Error).message})`);
  }
  const { shape } = parseIdxHeader(bytes, file);
  // One chunk: idx-data parses the header from the first chunk it sees.
  const decoded = await readFromStream(Readable.from([bytes]));
  return { shape, data: decoded.data };
}

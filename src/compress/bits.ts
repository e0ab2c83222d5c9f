/**
 * Bit streams, most significant bit first: the layout Huffman codes and fixed-width index
 * fields are packed in. The last byte is padded with zero bits.
 */

/** Appends bit fields to a growing byte buffer. */
export class BitWriter {
  private bytes = new Uint8Array(256);
  /** Bits written so far. */
  length = 0;

  /** Appends the low `width` bits of `value` (width ≤ 32), highest first. */
  write(value: number, width: number): void {
    if (width === 0) return;
    const need = (this.length + width + 7) >>> 3;
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.bytes.length * 2));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    for (let b = width - 1; b >= 0; b--) {
      if ((value >>> b) & 1) this.bytes[this.length >>> 3] |= 0x80 >>> (this.length & 7);
      this.length++;
    }
  }

  /** The stream so far, ⌈bits/8⌉ bytes. */
  finish(): Uint8Array {
    return this.bytes.slice(0, (this.length + 7) >>> 3);
  }
}

/** Reads bit fields back from bytes written by `BitWriter`. */
export class BitReader {
  /** Bits read so far. */
  position = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** Bits left in the stream (padding included). */
  get remaining(): number {
    return this.bytes.length * 8 - this.position;
  }

  /** The next bit, or −1 past the end. */
  bit(): number {
    if (this.position >= this.bytes.length * 8) return -1;
    const b = (this.bytes[this.position >>> 3] >>> (7 - (this.position & 7))) & 1;
    this.position++;
    return b;
  }

  /** The next `width` bits as an unsigned number, or −1 when fewer remain. */
  read(width: number): number {
    if (width > this.remaining) return -1;
    let v = 0;
    for (let i = 0; i < width; i++) v = v * 2 + this.bit();
    return v;
  }
}

/**
 * The wasm module's memory, as JavaScript lays it out:
 *
 *   [static data][resident blocks ............][scratch of the current call →]
 *
 * Resident blocks hold arrays that live across calls (an optimizer's moments, a compressed
 * layer's weights); each is given back when the object that owns it is garbage-collected,
 * and reused for the next block of the same size. Scratch is laid out afresh by each call
 * (a `ScratchFrame`, a bump allocator) after the resident blocks; calls are synchronous,
 * so one frame is in use at a time.
 */

/** Up to 1 GiB of shared memory (16,384 pages of 64 KiB); it grows on demand. */
export const MAX_PAGES = 16384;

/** At most this many bytes are resident; past it, callers copy per call instead. */
const RESIDENT_LIMIT = 256 * 2 ** 20;

/** `n` rounded up to a multiple of `multiple`, in float arithmetic: bit operations would wrap sizes past 2³¹ to negative. */
export const roundUp = (n: number, multiple: number): number => Math.ceil(n / multiple) * multiple;

/** Rounds a byte count up to 16, so that every array starts 16-byte aligned (one SIMD vector). */
export const align16 = (bytes: number): number => roundUp(bytes, 16);

/** Integer and float arrays the kernels read. */
export type WasmArray = Float32Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array;

export class WasmHeap {
  /** Start of the scratch: after the static data and the resident blocks. */
  private scratchBase: number;
  private residentBytes = 0;
  /** Blocks given back, by size in bytes, for reuse. */
  private readonly freeBlocks = new Map<number, number[]>();
  /** The byte address of each resident array handed out by `allocFloat32`. */
  private readonly addresses = new WeakMap<object, number>();
  private readonly released = new FinalizationRegistry<[number, number]>(([at, size]) => this.free(at, size));

  constructor(
    readonly memory: WebAssembly.Memory,
    heapBase: number,
  ) {
    this.scratchBase = align16(heapBase);
  }

  /** Where the next call's scratch starts (it moves up as resident blocks are placed). */
  get scratchStart(): number {
    return this.scratchBase;
  }

  /** Bytes of resident blocks in use or free for reuse. */
  get resident(): number {
    return this.residentBytes;
  }

  /** Bytes of resident blocks given back and waiting for reuse. */
  get freeBytes(): number {
    let total = 0;
    for (const [size, list] of this.freeBlocks) total += size * list.length;
    return total;
  }

  /** Makes sure the memory reaches byte `end`; a clear error past the module's limit. */
  ensure(end: number, what = 'a call'): void {
    const have = this.memory.buffer.byteLength;
    if (end > MAX_PAGES * 65536)
      throw new Error(`wasm: ${what} needs ${end} bytes of memory, more than the ${MAX_PAGES * 64} KiB the module may use`);
    if (end > have) this.memory.grow(Math.ceil((end - have) / 65536));
  }

  /** A view of `length` elements of type `type` at byte address `at` (made fresh, so it sees grown memory). */
  view<T extends WasmArray>(type: { new (buffer: ArrayBufferLike, at: number, length: number): T }, at: number, length: number): T {
    return new type(this.memory.buffer, at, length);
  }

  /**
   * Places `bytes` bytes in wasm memory for good and returns their byte address; null once
   * the resident limit is reached (callers then copy per call). Give the block back with
   * `free`, or let `ownBlock` do it when its owner is collected.
   */
  allocResident(bytes: number): number | null {
    const size = align16(bytes);
    const reused = this.freeBlocks.get(size)?.pop();
    if (reused !== undefined) return reused;
    if (this.residentBytes + size > RESIDENT_LIMIT) return null;
    const at = this.scratchBase;
    this.ensure(at + size, 'a resident array');
    this.scratchBase += size;
    this.residentBytes += size;
    return at;
  }

  /** Gives a resident block back for reuse. */
  free(at: number, bytes: number): void {
    const size = align16(bytes);
    const list = this.freeBlocks.get(size);
    if (list) list.push(at);
    else this.freeBlocks.set(size, [at]);
  }

  /**
   * A resident block of `bytes` bytes that is given back when `owner` is garbage-collected
   * (null when the resident space is used up). Only code that holds `owner` may use the
   * address, so the block cannot be reused while anything can still reach it.
   */
  ownBlock(owner: object, bytes: number): number | null {
    const at = this.allocResident(bytes);
    if (at !== null) this.released.register(owner, [at, bytes]);
    return at;
  }

  /**
   * A resident copy of `array`, given back when `owner` is garbage-collected: its address,
   * or null when the resident space is used up (callers then copy per call).
   */
  residentCopy(owner: object, array: WasmArray): number | null {
    const at = this.ownBlock(owner, array.byteLength);
    if (at !== null)
      new Uint8Array(this.memory.buffer, at, array.byteLength).set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return at;
  }

  /**
   * n zeros in a Float32Array that lives in wasm memory, so kernels work on it where it is
   * instead of copying it in and out every call (Adam keeps its moments here); null when
   * the resident space is used up. The block is reused once the array is garbage, so keep
   * no subarray of it longer than the array itself.
   */
  allocFloat32(n: number): Float32Array | null {
    const at = this.allocResident(n * 4);
    if (at === null) return null;
    const array = this.view(Float32Array, at, n).fill(0);
    this.addresses.set(array, at);
    this.released.register(array, [at, n * 4]);
    return array;
  }

  /** The byte address of a resident array made here, or undefined for any other array. */
  addressOf(array: object): number | undefined {
    return this.addresses.get(array);
  }

  /** Starts laying out one call's scratch. */
  frame(): ScratchFrame {
    return new ScratchFrame(this, this.scratchBase);
  }
}

/**
 * One call's scratch: a bump allocator from the end of the resident blocks. `place` puts an
 * input in wasm memory (or finds it there, when it is resident), `output` makes room for a
 * result, and `finish` copies the results back out.
 */
export class ScratchFrame {
  private readonly outputs: [WasmArray, number, number][] = [];

  private readonly start: number;

  constructor(
    private readonly heap: WasmHeap,
    private next: number,
  ) {
    this.start = next;
  }

  /**
   * Refuses to go on when a resident block was placed after this frame began: it would sit
   * on scratch this call already uses. Resident copies must be made before `frame()`.
   */
  private checkNotOverlapped(): void {
    if (this.heap.scratchStart > this.start)
      throw new Error('wasm: a resident array was placed during a call, over its scratch (make resident copies before heap.frame())');
  }

  /** `bytes` bytes of scratch (16-byte aligned), growing the memory as needed; returns their address. */
  take(bytes: number): number {
    this.checkNotOverlapped();
    const at = this.next;
    this.next = at + align16(bytes);
    this.heap.ensure(this.next);
    return at;
  }

  /** Like `take`, zeroed. */
  zeros(bytes: number): number {
    const at = this.take(bytes);
    new Uint8Array(this.heap.memory.buffer, at, bytes).fill(0);
    return at;
  }

  /**
   * The address of the first `length` elements of `array` in wasm memory: the array's own
   * when it is resident, else a copy made here.
   */
  place(array: WasmArray, length = array.length): number {
    const resident = this.heap.addressOf(array);
    if (resident !== undefined) return resident;
    const bytes = length * array.BYTES_PER_ELEMENT;
    const at = this.take(bytes);
    new Uint8Array(this.heap.memory.buffer, at, bytes).set(new Uint8Array(array.buffer, array.byteOffset, bytes));
    return at;
  }

  /**
   * Where a kernel should write the first `length` elements of `array`: the array itself
   * when resident, else scratch that `finish` copies back into it (copied in first when
   * `keep`, for kernels that accumulate).
   */
  output(array: WasmArray, keep = false, length = array.length): number {
    const resident = this.heap.addressOf(array);
    if (resident !== undefined) return resident;
    const at = keep ? this.place(array, length) : this.take(length * array.BYTES_PER_ELEMENT);
    this.outputs.push([array, at, length * array.BYTES_PER_ELEMENT]);
    return at;
  }

  /** Copies every non-resident output back into its array. */
  finish(): void {
    this.checkNotOverlapped();
    const bytes = new Uint8Array(this.heap.memory.buffer);
    for (const [array, at, length] of this.outputs)
      new Uint8Array(array.buffer, array.byteOffset, length).set(bytes.subarray(at, at + length));
  }
}

/**
 * Every export of assembly/ (the kernels' wasm module), declared once: its parameters by
 * name and in order (byte addresses, sizes and flags, all numbers), and whether helper
 * threads run shares of it. The module's type, the helpers' list of kernels and the calls
 * with named arguments all come from this table, so an argument given in the wrong place
 * does not compile; a test holds the table to the compiled module (every export is here,
 * with its parameter count). Adding a kernel: assembly/<family>.ts, its export in
 * assembly/index.ts, its line here, and its call in calls/<family>.ts.
 */
export const EXPORTS = {
  heapBase: { params: [], split: false },
  packBytes: { params: ['M', 'N', 'K'], split: false },
  gemm: { params: ['transA', 'transB', 'M', 'N', 'K', 'a', 'b', 'c', 'accumulate', 'scratch', 'j0', 'j1'], split: true },
  linearEpilogue: {
    params: ['transA', 'transB', 'M', 'N', 'K', 'a', 'b', 'c', 'accumulate', 'scratch', 'j0', 'j1', 'bias', 'relu'],
    split: true,
  },
  gemv: { params: ['transB', 'M', 'N', 'K', 'a', 'b', 'c', 'accumulate', 'j0', 'j1'], split: true },
  gemmI16: { params: ['M', 'N', 'Kp', 'a', 'w', 'c', 'j0', 'j1'], split: true },
  gemmU7I8: { params: ['M', 'N', 'Kp', 'a', 'w', 'c', 'j0', 'j1', 'z', 'rowSums'], split: true },
  convScratch: { params: ['geo'], split: false },
  // im2col's two forms, exported for the convolutions of assembly/ (no call from here).
  im2col: { params: ['x', 'geo', 'col'], split: false },
  im2colTopLeft: { params: ['x', 'geo', 'col', 'OH', 'OW'], split: false },
  convForward: { params: ['geo', 'x', 'w', 'bias', 'out', 'scratch', 'n0', 'n1'], split: true },
  convBackward: { params: ['geo', 'x', 'w', 'dy', 'dx', 'dw', 'db', 'scratch', 'n0', 'n1'], split: true },
  convPool: { params: ['geo', 'x', 'w', 'bias', 'out', 'argmax', 'scratch', 'n0', 'n1'], split: true },
  convPoolBackward: { params: ['geo', 'x', 'w', 'dout', 'argmax', 'dx', 'dw', 'db', 'scratch', 'n0', 'n1'], split: true },
  csrGemv: { params: ['width', 'rowPtr', 'idx', 'val', 'x', 'y', 'r0', 'r1', 'bias', 'relu'], split: true },
  csrGemm: { params: ['width', 'rowPtr', 'idx', 'val', 'xT', 'N', 'Np', 'y', 'rows', 'r0', 'r1', 'bias', 'relu'], split: true },
  csrGemmT: { params: ['width', 'rowPtr', 'idx', 'val', 'xT', 'Np', 'yT', 'r0', 'r1', 'bias', 'relu'], split: true },
  transposePad: { params: ['x', 'N', 'cols', 'Np', 'xT', 'c0', 'c1'], split: true },
  rangeF32: { params: ['x', 'n', 'out'], split: false },
  quantizeI16: { params: ['x', 'M', 'K', 'Kp', 'inv', 'lo', 'hi', 'out'], split: false },
  quantizeU8: { params: ['x', 'M', 'K', 'Kp', 'inv', 'z', 'qmax', 'out'], split: false },
  dequantRows: { params: ['acc', 'M', 'N', 'factor', 'bias', 'relu', 'y'], split: false },
  convI16Scratch: { params: ['geo', 'Kp', 'OCp'], split: false },
  convI16: { params: ['q', 'geo', 'w', 'Kp', 'OCp', 'factor', 'bias', 'y', 'outBytes', 'scratch', 'n0', 'n1'], split: true },
  convU7I8Scratch: { params: ['geo', 'Kp', 'OCp'], split: false },
  convU7I8: { params: ['q', 'geo', 'w', 'Kp', 'OCp', 'z', 'zSums', 'factor', 'bias', 'y', 'outBytes', 'scratch', 'n0', 'n1'], split: true },
  reluMask: { params: ['dy', 'y', 'out', 'n'], split: false },
  reluF32: { params: ['x', 'out', 'n'], split: false },
  fmaPeak: { params: ['iters'], split: true },
  sumRows: { params: ['x', 'rows', 'cols', 'out', 'accumulate'], split: false },
  adamStepAt: { params: ['p', 'g', 'm', 'v', 'n', 'settings'], split: true },
} as const;

/** The name of an export. */
export type ExportName = keyof typeof EXPORTS;

/** The arguments of export `K`, by name. */
export type Args<K extends ExportName> = { readonly [P in (typeof EXPORTS)[K]['params'][number]]: number };

/** The exports helper threads may run: the kernels that take a share (a column, row or image range) of a call. */
export type SplitKernel = { [K in ExportName]: (typeof EXPORTS)[K]['split'] extends true ? K : never }[ExportName];

/** The module's exports once instantiated: numbers in, a number (a size) or nothing out. */
export type WasmExports = { readonly [K in ExportName]: (...args: number[]) => number };

/** The split kernels, in the table's order (the helpers index them by position). */
export const SPLIT_KERNELS = (Object.keys(EXPORTS) as ExportName[]).filter((k): k is SplitKernel => EXPORTS[k].split);

/** The arguments of export `name` as the positional list it takes. */
export function argList<K extends ExportName>(name: K, args: Args<K>): number[] {
  const params = EXPORTS[name].params as readonly string[];
  const values = args as unknown as Record<string, number>;
  const list = new Array<number>(params.length);
  for (let i = 0; i < params.length; i++) list[i] = values[params[i]];
  return list;
}

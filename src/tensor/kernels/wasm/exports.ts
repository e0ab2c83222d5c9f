import { ADAM_EXPORTS } from './calls/adam.js';
import { CONV_EXPORTS } from './calls/conv.js';
import { DENSE_EXPORTS } from './calls/dense.js';
import { INT8_EXPORTS } from './calls/int8.js';
import { INT8_CONV_EXPORTS } from './calls/int8-conv.js';
import { SPARSE_EXPORTS } from './calls/sparse.js';

/**
 * The exports of assembly/ (the kernels' wasm module), each declared once: its parameters
 * by name and in order (byte addresses, sizes and flags, all numbers), and whether helper
 * threads run shares of it. Each family of calls declares the exports it uses beside them
 * (calls/<family>.ts); this file joins those tables and derives from them the module's
 * type, the helpers' list of kernels and the named arguments, so an argument given in the
 * wrong place does not compile. A test holds the joined table to the compiled module (every
 * export is in it, with its parameter count).
 *
 * Adding a kernel to a family touches four files: assembly/<family>.ts (the kernel),
 * calls/<family>.ts (its line in the family's table, its call, and its entry in the
 * family's bindings), kernels/<family>.ts (the TypeScript reference, in that file's list of
 * kernels) and the op that calls it.
 */

/** One export's declaration: its parameters in order, and whether helpers run shares of it. */
export interface ExportSpec {
  readonly params: readonly string[];
  readonly split: boolean;
}

/** A family's exports by name. */
export type ExportTable = Readonly<Record<string, ExportSpec>>;

/** The exports no family of calls owns: the heap's start, and the multiply-add ceiling the gemm bench measures. */
const CORE_EXPORTS = {
  heapBase: { params: [], split: false },
  fmaPeak: { params: ['iters'], split: true },
} as const satisfies ExportTable;

/** Every export, in one table (its type is what the names and arguments below derive from). */
type Exports = typeof CORE_EXPORTS &
  typeof DENSE_EXPORTS &
  typeof INT8_EXPORTS &
  typeof INT8_CONV_EXPORTS &
  typeof CONV_EXPORTS &
  typeof SPARSE_EXPORTS &
  typeof ADAM_EXPORTS;

let joined: Exports | undefined;

/**
 * The joined table. Built on first use rather than at import, because the families import
 * the module that imports this file: by the time a kernel is called, every table exists.
 */
export function exportTable(): Exports {
  joined ??= {
    ...CORE_EXPORTS,
    ...DENSE_EXPORTS,
    ...INT8_EXPORTS,
    ...INT8_CONV_EXPORTS,
    ...CONV_EXPORTS,
    ...SPARSE_EXPORTS,
    ...ADAM_EXPORTS,
  };
  return joined;
}

/** The name of an export. */
export type ExportName = keyof Exports;

/** The arguments of export `K`, by name. */
export type Args<K extends ExportName> = { readonly [P in Exports[K]['params'][number]]: number };

/** The exports helper threads may run: the kernels that take a share (a column, row or image range) of a call. */
export type SplitKernel = { [K in ExportName]: Exports[K]['split'] extends true ? K : never }[ExportName];

/** The module's exports once instantiated: numbers in, a number (a size) or nothing out. */
export type WasmExports = { readonly [K in ExportName]: (...args: number[]) => number };

/** The split kernels, in the table's order (the helpers index them by position). */
export function splitKernels(): SplitKernel[] {
  const table = exportTable();
  return (Object.keys(table) as ExportName[]).filter((k): k is SplitKernel => table[k].split);
}

/** The arguments of export `name` as the positional list it takes. */
export function argList<K extends ExportName>(name: K, args: Args<K>): number[] {
  const params = exportTable()[name].params as readonly string[];
  const values = args as unknown as Record<string, number>;
  const list = new Array<number>(params.length);
  for (let i = 0; i < params.length; i++) list[i] = values[params[i]];
  return list;
}

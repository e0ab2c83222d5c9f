import { describe, expect, it } from 'vitest';
import { relaxedSimdSupported } from '../src/tensor/kernels/wasm/build.js';
import { geometryWords } from '../src/tensor/kernels/wasm/calls/conv.js';
import { argList, exportTable, splitKernels } from '../src/tensor/kernels/wasm/exports.js';
import { GEOMETRY_WORDS, Geo } from '../src/tensor/kernels/wasm/geometry.js';
import { WasmModule } from '../src/tensor/kernels/wasm/module.js';

/**
 * The wasm boundary is declared once (kernels/wasm/exports.ts): the table must be the
 * compiled module's exports, each with as many parameters as the module's function takes,
 * in both builds.
 */

const builds = (['plain', 'relaxed'] as const).filter((simd) => simd === 'plain' || relaxedSimdSupported());

describe('the table of wasm exports', () => {
  for (const simd of builds) {
    it(`lists every function the ${simd} build exports, with its parameter count`, () => {
      const m = WasmModule.load({ threads: 1, simd }).module!;
      const exported = Object.entries(m.exports as unknown as Record<string, unknown>).filter(([, v]) => typeof v === 'function');
      expect(exported.map(([name]) => name).sort()).toEqual(Object.keys(exportTable()).sort());
      for (const [name, fn] of exported) {
        expect((fn as (...a: number[]) => unknown).length, name).toBe(
          exportTable()[name as keyof ReturnType<typeof exportTable>].params.length,
        );
      }
    });
  }

  it('turns named arguments into the order the export takes, and names the split kernels', () => {
    expect(argList('sumRows', { cols: 3, rows: 2, x: 8, accumulate: 1, out: 16 })).toEqual([8, 2, 3, 16, 1]);
    expect(splitKernels()).toContain('gemm');
    expect(splitKernels()).not.toContain('packBytes');
  });
});

/** Compiled, never run: `npm run typecheck` fails if a call with its arguments out of order or misnamed type-checks. */
// biome-ignore lint/suspicious/noExportsInTest: exported so that tsc (noUnusedLocals) compiles this never-run function
export function typeChecks(m: WasmModule): void {
  // @ts-expect-error: the arguments are named, not a positional list
  m.call('sumRows', [8, 2, 3, 16, 1]);
  // @ts-expect-error: a misnamed argument
  m.call('sumRows', { x: 8, rows: 2, colums: 3, out: 16, accumulate: 1 });
  // @ts-expect-error: a missing argument
  m.split('gemv', 1, () => ({ transB: 0, M: 1, N: 1, K: 1, a: 0, b: 0, c: 0, accumulate: 0, j0: 0 }));
}

describe('the conv geometry', () => {
  it('is written field by field where the enum Geo (compiled into the kernels too) places it', () => {
    expect(GEOMETRY_WORDS).toBe(Geo.POW + 1);
    const g = { C: 1, H: 2, W: 3, KH: 4, KW: 5, SH: 6, SW: 7, PH: 8, PW: 9, OH: 10, OW: 11 };
    const words = geometryWords(12, g, { KH: 13, KW: 14, SH: 15, SW: 16, OH: 17, OW: 18 });
    expect([...words]).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
    expect([words[Geo.C], words[Geo.OC], words[Geo.PKH], words[Geo.POW]]).toEqual([1, 12, 13, 18]);
    expect([...geometryWords(12, g, null)].slice(Geo.PKH)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

import { loadExperimentData } from '../experiments/common.js';
import { NOTEBOOK_RANKS, runLowRank, type EnergyRow, type RankRow } from '../experiments/low-rank.js';
import { formatTable, type Column } from '../report/table.js';
import { EXPERIMENT_FLAGS, EXPERIMENT_USAGE, experimentConfig, integer, MODEL_FLAG, MODEL_USAGE, modelPath, numberList, prepareOut, UsageError, type Command } from './args.js';

export const RANK_COLUMNS: Column<RankRow>[] = [
  { header: 'rank', value: (r) => r.rank },
  { header: 'accuracy %', value: (r) => r.accuracy * 100, digits: 2 },
  { header: 'original params', value: (r) => r.originalParams },
  { header: 'new params', value: (r) => r.newParams },
  { header: 'notebook params', value: (r) => r.notebookParams },
  { header: 'operations', value: (r) => r.operations },
  { header: 'notebook ops', value: (r) => r.notebookOperations },
  { header: 'energy %', value: (r) => r.energy * 100, digits: 2 },
  { header: 'fc3 µs b64 dense', value: (r) => r.layerDense64 * 1e6, digits: 0 },
  { header: 'fc3 µs b64 low-rank', value: (r) => r.layerFactorized64 * 1e6, digits: 0 },
  { header: 'fc3 ms b10k dense', value: (r) => r.layerDense10k * 1e3, digits: 1 },
  { header: 'fc3 ms b10k low-rank', value: (r) => r.layerFactorized10k * 1e3, digits: 1 },
  { header: 'net speed-up b1', value: (r) => `${r.speedup1.toFixed(2)}×` },
  { header: 'net speed-up b64', value: (r) => `${r.speedup64.toFixed(2)}×` },
];

export const ENERGY_COLUMNS: Column<EnergyRow>[] = [
  { header: 'energy %', value: (r) => r.energy * 100, digits: 1 },
  { header: 'ranks fc1-fc3', value: (r) => r.ranks.map((k) => k ?? 'dense').join('-') },
  { header: 'params', value: (r) => r.params },
  { header: 'MFLOP / image', value: (r) => r.flops / 1e6, digits: 3 },
  { header: 'accuracy %', value: (r) => r.accuracy * 100, digits: 2 },
  { header: 'fine-tuned %', value: (r) => (r.fineTuned === undefined ? '' : (r.fineTuned * 100).toFixed(2)) },
  { header: 'net ms / 10k', value: (r) => r.netLatency * 1e3, digits: 0 },
  { header: 'speed-up b1', value: (r) => `${r.speedup1.toFixed(2)}×` },
  { header: 'speed-up b64', value: (r) => `${r.speedup64.toFixed(2)}×` },
];

/** `slimtensor low-rank`: notebook section 4. */
export const lowRankCommand: Command = {
  name: 'low-rank',
  summary: 'section 4: SVD of fc3 truncated to rank r, run as two real GEMMs; every layer by energy',
  flagsHelp: `  --ranks <list>          ranks of the fc3 sweep (default 128,100,90,80,60,50,40,30,20,10,5,2,1)
  --energies <list>       spectral energy kept when factorizing every hidden layer (default 0.8,0.9,0.95)
  --fine-tune-epochs <n>  fine-tune each energy-factorized net (default 1; 0 = none)
${MODEL_USAGE}
${EXPERIMENT_USAGE}`,
  options: { ...EXPERIMENT_FLAGS, ...MODEL_FLAG, ranks: { type: 'string' }, energies: { type: 'string' }, 'fine-tune-epochs': { type: 'string' } },
  async run(values, io) {
    const ranks = numberList('ranks', values.ranks as string | undefined, { min: 1, max: 128 }) ?? NOTEBOOK_RANKS;
    if (ranks.some((r) => !Number.isInteger(r))) throw new UsageError(`--ranks must be whole numbers in [1, 128], got '${values.ranks}'`);
    const config = {
      ...experimentConfig(values, io),
      ranks,
      energies: numberList('energies', values.energies as string | undefined, { min: 0, max: 1, openMin: true }) ?? [0.8, 0.9, 0.95],
      fineTuneEpochs: integer('fine-tune-epochs', values['fine-tune-epochs'] as string | undefined, 1, 0),
      modelPath: await modelPath(values),
    };
    await prepareOut(config.out);
    io.out('section 4, low-rank factorization of fc3 (256 → 128)\n');
    const r = await runLowRank(config, await loadExperimentData(config));
    io.out(`\nfc3 singular values: ${r.spectrum.slice(0, 8).map((s) => s.toFixed(3)).join(', ')}, … ${r.spectrum.at(-1)!.toExponential(2)}`);
    io.out(`\nbreak-even rank 128·256/(128+256) = ${r.breakEven.toFixed(1)}: below it the factorized layer is smaller and cheaper\n`);
    io.out(`\n${formatTable(r.sweep, RANK_COLUMNS)}\n`);
    if (r.energy.length > 0) {
      io.out(`\nevery hidden layer by energy kept (original: ${r.original.params} params, ${(r.original.flops / 1e6).toFixed(3)} MFLOP/image, ${(r.original.netLatency * 1e3).toFixed(0)} ms / 10k)\n`);
      io.out(`${formatTable(r.energy, ENERGY_COLUMNS)}\n`);
    }
    if (config.out) io.out(`saved to ${config.out}\n`);
    return 0;
  },
};

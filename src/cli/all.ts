import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJson } from '../experiments/config.js';
import { equivalentWork, runAll } from '../experiments/run-all.js';
import type { Section } from '../experiments/section.js';
import { SECTIONS, type SectionName, sectionNamed } from '../experiments/sections.js';
import { writeFileAtomic } from '../node/atomic.js';
import { renderSvg } from '../report/charts.js';
import { type PeersRun, peersProblem, peersReportPart } from '../report/peers.js';
import { runReport } from '../report/run-report.js';
import { type Command, EXPERIMENT_FLAGS, EXPERIMENT_USAGE, experimentConfig, quickFlags, UsageError, withOutFolder } from './args.js';
import { exportRunFolder, onnxReportPart } from './onnx-files.js';

/** `runs/2026-11-28T13-05-00`: a run folder named by the local start time. */
function defaultRunDir(now = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return join(
    'runs',
    `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}` +
      `T${pad(now.getHours())}-${pad(now.getMinutes())}-${pad(now.getSeconds())}`,
  );
}

const NAMES = SECTIONS.map((s) => s.name).join(', ');

/** Where `npm run bench -- peers` saves its last full run. */
const DEFAULT_PEERS = join('runs', 'peers.json');

/** The saved peers run at `path` (none without a path); an unreadable one is refused with its path before any work. */
async function readPeers(path: string | undefined): Promise<PeersRun | null> {
  if (path === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${path}: cannot read the peers run (${(e as Error).message})`);
  }
  const problem = peersProblem(value);
  if (problem) throw new UsageError(`${path}: not a peers run saved by \`npm run bench -- peers\`: ${problem}`);
  return value as PeersRun;
}

/** `slimtensor all` (what `npm start` runs): every section, a run folder with JSON, report and charts. */
export const allCommand: Command = {
  name: 'all',
  summary: "every section at the notebook's settings: results.json, report.md and SVG charts in a run folder",
  flagsHelp: `  --quick                 a first look: 3,000 training / 1,000 test images, 1 epoch, short extras
  --sections <list>       run only these: ${NAMES} (default all)
  --peers <file>          a saved \`npm run bench -- peers\` run for the report (default ${DEFAULT_PEERS} when it exists)
${EXPERIMENT_USAGE.replace('write models (safetensors) and results (JSON) there', 'the run folder (default runs/<date-time>)')}`,
  options: { ...EXPERIMENT_FLAGS, quick: { type: 'boolean' }, sections: { type: 'string' }, peers: { type: 'string' } },
  async run(values, io) {
    const quick = values.quick === true;
    const raw = values.sections as string | undefined;
    const names = raw === undefined ? SECTIONS.map((s) => s.name) : raw.split(',').map((s) => s.trim());
    const unknown = names.find((s) => sectionNamed(s) === undefined);
    if (unknown !== undefined) throw new UsageError(`--sections: unknown section '${unknown}'; sections: ${NAMES}`);
    const config = { ...experimentConfig({ ...quickFlags(quick), ...values }, io), sections: names as SectionName[], quick };
    const peersPath = (values.peers as string | undefined) ?? (existsSync(DEFAULT_PEERS) ? DEFAULT_PEERS : undefined);
    if (values.peers !== undefined && !existsSync(peersPath!)) throw new UsageError(`--peers ${peersPath}: no such file`);
    const peers = await readPeers(peersPath);
    const out = config.out ?? defaultRunDir();
    config.out = out;
    const { report, files, seconds } = await withOutFolder(out, async () => {
      io.out(
        `slimtensor all${quick ? ' --quick' : ''}: ${names.join(', ')}; ${config.epochs} epoch(s), seed ${config.seed}, run folder ` +
          `${out}\n`,
      );
      const result = await runAll(config);
      const parts = SECTIONS.flatMap((s) => {
        const r = result.sections[s.name];
        return r === undefined ? [] : [(s as Section).report(r)];
      });
      const onnx = await exportRunFolder(out);
      const { markdown, charts } = runReport(result, [...parts, onnxReportPart(onnx), ...(peers ? [peersReportPart(peers)] : [])], {
        equivalent: equivalentWork(result.seconds),
      });
      for (const c of charts) await writeFileAtomic(join(out, c.file), await renderSvg(c.spec));
      await writeJson(out, 'results.json', { ...result, onnx, ...(peers ? { peers } : {}) });
      await writeFileAtomic(join(out, 'report.md'), markdown);
      return { report: markdown, files: charts.length, seconds: result.totalSeconds };
    });
    io.out(`\n${report}\n`);
    io.out(`done in ${seconds.toFixed(1)} s: ${join(out, 'report.md')}, results.json and ${files} charts\n`);
    return 0;
  },
};

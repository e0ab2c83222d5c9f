import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type AllResult, equivalentWork } from '../experiments/run-all.js';
import type { Section } from '../experiments/section.js';
import { SECTIONS } from '../experiments/sections.js';
import { writeFileAtomic } from '../node/atomic.js';
import { renderSvg } from '../report/charts.js';
import { type PeersRun, peersReportPart } from '../report/peers.js';
import { runReport } from '../report/run-report.js';
import { type Command, UsageError } from './args.js';
import { type OnnxFile, onnxReportPart } from './onnx-files.js';

/** Reads a run's results.json, refusing what is not one with a message that names the file. */
async function readRun(path: string): Promise<AllResult> {
  const text = await fs.readFile(path, 'utf8').catch(() => {
    throw new UsageError(`${path}: no such file (give the folder of a \`slimtensor all\` run)`);
  });
  let run: unknown;
  try {
    run = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const r = run as Partial<AllResult> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.sections !== 'object' ||
    r.sections === null ||
    typeof r.machine !== 'object' ||
    typeof r.seconds !== 'object'
  ) {
    throw new Error(`${path}: not the results.json of a \`slimtensor all\` run (it needs machine, seconds and sections)`);
  }
  return r as AllResult;
}

/**
 * `slimtensor report <run folder>`: renders a run's report.md and charts again from its
 * results.json, into another place: `--markdown docs/RESULTS.md` writes the document there
 * and its charts beside it in `docs/results/`. The README's results page is made this way,
 * from a run, never pasted by hand.
 */
export const reportCommand: Command = {
  name: 'report',
  summary: "render a run's report again from its results.json, e.g. into docs/RESULTS.md",
  flagsHelp: `  --run <dir>             the run folder (holding results.json) of a \`slimtensor all\` run
  --markdown <file>       where to write the report (its charts go to a folder named after it, beside it)
  -h, --help              show this help`,
  options: { run: { type: 'string' }, markdown: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  async run(values, io) {
    const dir = values.run as string | undefined;
    const markdownPath = values.markdown as string | undefined;
    if (dir === undefined) throw new UsageError('--run <dir> is required');
    if (markdownPath === undefined || !markdownPath.endsWith('.md'))
      throw new UsageError(`--markdown must name a .md file, got '${markdownPath ?? ''}'`);
    const results = join(dir, 'results.json');
    const run = await readRun(results);
    let rendered: ReturnType<typeof runReport>;
    try {
      const parts = SECTIONS.flatMap((s) => (run.sections[s.name] === undefined ? [] : [(s as Section).report(run.sections[s.name])]));
      const onnx = (run as { onnx?: OnnxFile[] }).onnx;
      if (onnx) parts.push(onnxReportPart(onnx));
      const peers = (run as { peers?: PeersRun }).peers;
      if (peers) parts.push(peersReportPart(peers));
      rendered = runReport(run, parts, {
        chartFolder: basename(markdownPath, '.md').toLowerCase(),
        equivalent: equivalentWork(run.seconds),
      });
    } catch (e) {
      throw new Error(`${results}: a section's results are not as \`slimtensor all\` writes them (${(e as Error).message})`);
    }
    const chartDir = join(dirname(markdownPath), basename(markdownPath, '.md').toLowerCase());
    await fs.mkdir(chartDir, { recursive: true });
    for (const c of rendered.charts) await writeFileAtomic(join(chartDir, c.file), await renderSvg(c.spec));
    const header =
      `<!-- Made by \`slimtensor report --run ${dir} --markdown ${markdownPath}\` from the run's results.json; do not edit ` +
      `by hand. -->\n\n`;
    await writeFileAtomic(markdownPath, header + rendered.markdown);
    io.out(`wrote ${markdownPath} and ${rendered.charts.length} charts in ${chartDir}\n`);
    return 0;
  },
};

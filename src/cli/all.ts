import { join } from 'node:path';
import { QUICK, runAll, SECTIONS, type SectionName } from '../experiments/all.js';
import { writeJson } from '../experiments/common.js';
import { writeFileAtomic } from '../io/atomic.js';
import { renderSvg } from '../report/charts.js';
import { EXPERIMENT_FLAGS, EXPERIMENT_USAGE, experimentConfig, prepareOut, UsageError, type Command } from './args.js';
import { charts, reportMarkdown } from './report.js';

/** `runs/2026-11-28T13-05-00`: a run folder named by the local start time. */
function defaultRunDir(now = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return join('runs', `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}-${pad(now.getMinutes())}-${pad(now.getSeconds())}`);
}

/** `slimtensor all` (what `npm start` runs): every section, a run folder with JSON, report and charts. */
export const allCommand: Command = {
  name: 'all',
  summary: 'every section at the notebook\'s settings: results.json, report.md and SVG charts in a run folder',
  flagsHelp: `  --quick                 a first look: 3,000 training / 1,000 test images, 1 epoch, short extras
  --sections <list>       run only these: ${SECTIONS.join(', ')} (default all)
${EXPERIMENT_USAGE.replace('write models (safetensors) and results (JSON) there', 'the run folder (default runs/<date-time>)')}`,
  options: { ...EXPERIMENT_FLAGS, quick: { type: 'boolean' }, sections: { type: 'string' } },
  async run(values, io) {
    const quick = values.quick === true;
    const raw = values.sections as string | undefined;
    const sections = raw === undefined ? [...SECTIONS] : raw.split(',').map((s) => s.trim());
    const unknown = sections.find((s) => !(SECTIONS as readonly string[]).includes(s));
    if (unknown !== undefined) throw new UsageError(`unknown section '${unknown}'; sections: ${SECTIONS.join(', ')}`);
    const defaults = quick ? { epochs: String(QUICK.epochs), 'train-limit': String(QUICK.trainLimit), 'test-limit': String(QUICK.testLimit) } : {};
    const config = { ...experimentConfig({ ...defaults, ...values }, io), sections: sections as SectionName[], quick };
    config.out ??= defaultRunDir();
    await prepareOut(config.out);
    io.out(`slimtensor all${quick ? ' --quick' : ''}: ${sections.join(', ')}; ${config.epochs} epoch(s), seed ${config.seed}, run folder ${config.out}\n`);
    const result = await runAll(config);
    const list = charts(result);
    for (const c of list) await writeFileAtomic(join(config.out, c.file), await renderSvg(c.spec));
    await writeJson(config.out, 'results.json', result);
    const report = reportMarkdown(result, list.map((c) => c.file));
    await writeFileAtomic(join(config.out, 'report.md'), report);
    io.out(`\n${report}\n`);
    io.out(`done in ${result.totalSeconds.toFixed(1)} s: ${join(config.out, 'report.md')}, results.json and ${list.length} charts\n`);
    return 0;
  },
};

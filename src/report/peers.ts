import type { ReportPart } from './run-report.js';
import { formatMarkdown } from './table.js';

/**
 * The last `npm run bench -- peers` run, as it saves it (runs/peers.json) for the report:
 * the same work timed through slimtensor, PyTorch and onnxruntime on this machine, each
 * ratio against the baseline of its row, measured in that one run.
 */
export interface PeersRun {
  date: string;
  machine: string;
  rows: PeerRow[];
}

/** One engine on one piece of work. */
export interface PeerRow {
  /** `SimpleNet training step, batch 64: PyTorch 1.13.0, 1 thread` (what, then who). */
  name: string;
  ms: number;
  /** Its speed ÷ the baseline's (above 1: faster). */
  ratio: number | null;
  baseline: string | null;
}

/** Checks that `value` is a PeersRun; returns what is wrong, or null. */
export function peersProblem(value: unknown): string | null {
  const p = value as Partial<PeersRun> | null;
  if (typeof p !== 'object' || p === null || typeof p.date !== 'string' || typeof p.machine !== 'string' || !Array.isArray(p.rows)) {
    return 'it needs date, machine and rows';
  }
  const bad = p.rows.findIndex(
    (r) => typeof r?.name !== 'string' || !(typeof r.ms === 'number' && r.ms > 0) || !(r.ratio === null || typeof r.ratio === 'number'),
  );
  return bad >= 0 ? `row ${bad} is not { name, ms, ratio, baseline }` : null;
}

/** The peers run as a part of report.md. */
export function peersReportPart(peers: PeersRun): ReportPart {
  return {
    title: 'Against PyTorch and onnxruntime',
    lines: [
      `From \`npm run bench -- peers\` on ${peers.date.slice(0, 10)} (${peers.machine}), not from this run: the same work through each ` +
        `engine on this machine, ` +
        'every ratio against the baseline of its row measured in that one run (above 1: faster than the baseline).',
      '',
      formatMarkdown(peers.rows, [
        { header: 'work: engine', value: (r) => r.name },
        { header: 'ms', value: (r) => r.ms, digits: 2 },
        { header: 'ratio', value: (r) => (r.ratio === null ? '' : `${r.ratio.toFixed(2)}×`) },
        { header: 'against', value: (r) => r.baseline ?? '' },
      ]),
    ],
    charts: [],
    bytes: [],
    speed: [],
  };
}

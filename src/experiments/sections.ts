import { activationPrune } from './activation-prune.js';
import { deepCompress } from './deep-compress.js';
import { distill } from './distill.js';
import { lowRank } from './low-rank-section.js';
import { prune } from './prune-section.js';
import { quantize } from './quantize.js';

/**
 * The notebook's sections, in its order, then what slimtensor adds beyond it (Deep
 * Compression): the one registry the CLI (a command each) and `all` read. A new section
 * is its file under `experiments/`, one line here, and its test.
 */
export const SECTIONS = [distill, prune, activationPrune, lowRank, quantize, deepCompress] as const;

type AnySection = (typeof SECTIONS)[number];

/** `distill`, `prune`, `activation-prune`, `low-rank`, `quantize`, `deep-compress`. */
export type SectionName = AnySection['name'];

/** Each section's result by its name. */
export type SectionResults = { [S in AnySection as S['name']]: Awaited<ReturnType<S['run']>> };

/** The section called `name`, or undefined (an own-property lookup: `constructor` is not a section). */
export function sectionNamed(name: string): AnySection | undefined {
  return SECTIONS.find((s) => s.name === name);
}

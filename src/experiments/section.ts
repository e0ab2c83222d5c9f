import type { MnistData } from '../data/mnist.js';
import type { TeacherNet } from '../nn/models.js';
import type { ReportPart } from '../report/run-report.js';
import type { ExperimentConfig } from './config.js';
import type { TrainedNet } from './simple-net.js';

/**
 * A section's own setting, described once: its flag, its help line and the values it
 * takes. The CLI builds each command's flags, help and checks from these; `all` and the
 * command share the section's `defaults`.
 */
export type OptionSpec = { help: string; flag?: string } & (
  | { kind: 'number'; min?: number; max?: number; openMin?: boolean; openMax?: boolean }
  | { kind: 'integer'; min: number }
  | { kind: 'numbers'; min?: number; max?: number; openMin?: boolean; openMax?: boolean; integers?: boolean; noneAllowed?: boolean }
  | { kind: 'choice'; values: readonly string[] }
  /** A path to an existing file (checked before any work starts). */
  | { kind: 'file' }
  /** A boolean switch, false unless given. */
  | { kind: 'flag' }
);

/** What the sections of one run hand on to each other. */
export interface SectionContext {
  /** The trained SimpleNet that sections 2–5 share (trained once by the run). */
  net?: TrainedNet;
  /**
   * The teacher CNN of section 1: set by distillation, read by quantization. `null` says
   * the run has none (section 1 did not run) so quantization skips it rather than train one.
   */
  teacher?: TeacherNet | null;
}

/** The settings a section runs with: the shared ones, its own, and (sections 2–5) the SimpleNet file to start from. */
export type SectionConfig<Options extends object> = ExperimentConfig & Options & { modelPath?: string };

/**
 * One notebook section: one name (its command, its file, its key in results.json), its
 * settings with the notebook's values, the shortcuts of a quick look, how it runs, what
 * its command prints, and its part of report.md.
 */
export interface Section<Name extends string = string, Options extends object = object, Result = unknown> {
  name: Name;
  /** `1. Knowledge distillation`: the report's heading. */
  title: string;
  /** One line for the list of commands. */
  summary: string;
  /** Starts from the trained SimpleNet (sections 2–5); takes `--model` to load one. */
  usesSimpleNet: boolean;
  /**
   * The notebook trains its own SimpleNet in this section (sections 2, 3 and 4); slimtensor
   * trains one for all, so the time of the notebook's same work counts one per such section.
   */
  notebookTrainsSimpleNet: boolean;
  defaults: Options;
  /** What `--quick` changes beyond the shared quick settings. */
  quick: Partial<Options>;
  options: { [K in keyof Options]?: OptionSpec };
  /** What is wrong with a combination of settings (a usage error before any work), or undefined. */
  check?: (options: Options) => string | undefined;
  run: (config: SectionConfig<Options>, data: MnistData, context?: SectionContext) => Promise<Result>;
  /** The tables and notes the command prints. */
  print: (result: Result, config: SectionConfig<Options>) => string;
  report: (result: Result) => ReportPart;
}

/** Declares a section, keeping its name's literal type for the registry. */
export function defineSection<const Name extends string, Options extends object, Result>(
  section: Section<Name, Options, Result>,
): Section<Name, Options, Result> {
  return section;
}

import type { ParseArgsConfig } from 'node:util';
import type { OptionSpec, Section, SectionConfig } from '../experiments/section.js';
import { loadMnistData } from '../node/mnist.js';
import {
  type Command,
  EXPERIMENT_FLAGS,
  EXPERIMENT_USAGE,
  existingFile,
  experimentConfig,
  integer,
  MODEL_FLAG,
  MODEL_USAGE,
  number,
  numberList,
  quickFlags,
  UsageError,
  type Values,
  withOutFolder,
} from './args.js';

/** `fineTuneEpochs` → `fine-tune-epochs`. */
const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const METAVAR: Record<OptionSpec['kind'], string> = {
  number: '<x>',
  integer: '<n>',
  numbers: '<list>',
  choice: '',
  file: '<file>',
  flag: '',
};

/** `4`, `0,0.01,0.02`, or nothing for an absent default. */
function showDefault(value: unknown): string {
  if (value === undefined || typeof value === 'boolean') return '';
  if (Array.isArray(value)) return value.length === 0 ? ' (default none)' : ` (default ${value.join(',')})`;
  return ` (default ${String(value)})`;
}

/** One help line per option: `  --scope <global|layer>  how rounds rank weights (default global)`. */
function optionsHelp(section: Section): string {
  return Object.entries(section.options as Record<string, OptionSpec>)
    .map(([key, spec]) => {
      const metavar = spec.kind === 'choice' ? `<${spec.values.join('|')}>` : METAVAR[spec.kind];
      const left = `  --${spec.flag ?? kebab(key)}${metavar ? ` ${metavar}` : ''}`;
      return `${left.padEnd(26)}${spec.help}${showDefault((section.defaults as Record<string, unknown>)[key])}`;
    })
    .join('\n');
}

/** The value of one option from its flag, checked by its spec (`undefined` when the flag is absent). */
async function parseOption(flag: string, spec: OptionSpec, raw: string | boolean | undefined): Promise<unknown> {
  if (spec.kind === 'flag') return raw === true ? true : undefined;
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  switch (spec.kind) {
    case 'number':
      return number(flag, raw, NaN, spec);
    case 'integer':
      return integer(flag, raw, 0, spec.min);
    case 'file':
      return existingFile(flag, raw);
    case 'choice':
      if (!spec.values.includes(raw))
        throw new UsageError(`--${flag} must be ${spec.values.slice(0, -1).join(', ')} or ${spec.values.at(-1)}, got '${raw}'`);
      return raw;
    case 'numbers': {
      if (spec.noneAllowed && raw === 'none') return [];
      const list = numberList(flag, raw, spec)!;
      if (spec.integers && list.some((v) => !Number.isInteger(v))) throw new UsageError(`--${flag} must be whole numbers, got '${raw}'`);
      return list;
    }
  }
}

/**
 * The command of a section: its flags come from the section's option specs plus the
 * shared ones (and `--model` where it starts from SimpleNet, `--quick` everywhere); it
 * checks every flag, then loads MNIST, runs the section and prints its tables.
 */
export function sectionCommand(section: Section): Command {
  const specs = Object.entries(section.options as Record<string, OptionSpec>);
  const own = Object.fromEntries(
    specs.map(([key, spec]) => [spec.flag ?? kebab(key), { type: spec.kind === 'flag' ? 'boolean' : 'string' }]),
  );
  return {
    name: section.name,
    summary: section.summary,
    flagsHelp: [
      optionsHelp(section),
      ...(section.usesSimpleNet ? [MODEL_USAGE] : []),
      '  --quick                 a first look: 3,000 training / 1,000 test images, 1 epoch, shorter extras',
      EXPERIMENT_USAGE,
    ].join('\n'),
    options: {
      ...EXPERIMENT_FLAGS,
      ...(section.usesSimpleNet ? MODEL_FLAG : {}),
      quick: { type: 'boolean' },
      ...own,
    } as ParseArgsConfig['options'],
    async run(values: Values, io) {
      const quick = values.quick === true;
      const options: Record<string, unknown> = { ...(section.defaults as object), ...(quick ? section.quick : {}) };
      for (const [key, spec] of specs) {
        const flag = spec.flag ?? kebab(key);
        const value = await parseOption(flag, spec, values[flag]);
        if (value !== undefined) options[key] = value;
      }
      const wrong = section.check?.(options);
      if (wrong) throw new UsageError(wrong);
      const config = {
        ...experimentConfig({ ...quickFlags(quick), ...values }, io),
        ...options,
        modelPath: section.usesSimpleNet ? await existingFile('model', values.model as string | undefined) : undefined,
      } as SectionConfig<object>;
      await withOutFolder(config.out, async () => {
        io.out(
          `section ${section.title}${quick ? ' (quick look)' : ''}: ${config.epochs} epoch(s), batch ${config.batchSize}, Adam lr ` +
            `${config.lr}, seed ${config.seed}\n`,
        );
        const result = await section.run(config, await loadMnistData(config));
        io.out(`\n${section.print(result, config)}`);
      });
      if (config.out) io.out(`saved to ${config.out}\n`);
      return 0;
    },
  };
}

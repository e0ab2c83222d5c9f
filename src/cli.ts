import { parseArgs } from 'node:util';
import { allCommand } from './cli/all.js';
import { type Command, type Io, UsageError } from './cli/args.js';
import { exportCommand } from './cli/export.js';
import { reportCommand } from './cli/report.js';
import { sectionCommand } from './cli/section-command.js';
import { trainCommand } from './cli/train.js';
import type { Section } from './experiments/section.js';
import { SECTIONS } from './experiments/sections.js';
import { checkBackendEnvironment } from './tensor/kernels/index.js';

export { type Io, UsageError } from './cli/args.js';

/** Every subcommand, in the order the usage lists them. */
const COMMANDS: Command[] = [trainCommand, ...SECTIONS.map((s) => sectionCommand(s as Section)), allCommand, reportCommand, exportCommand];

/** The top-level usage: the commands and how to get each one's flags. */
export const USAGE = `usage: slimtensor <command> [flags]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(18)} ${c.summary}`).join('\n')}

Run \`slimtensor <command> --help\` for a command's flags.
`;

function commandUsage(c: Command): string {
  return `usage: slimtensor ${c.name} [flags]\n\n${c.summary}\n\nflags:\n${c.flagsHelp}\n`;
}

const defaultIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/**
 * Runs the command line `argv` (without `node` and the script) and returns the exit code:
 * 0 on success, 2 for a usage error (the message and the usage go to stderr).
 */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command '${name}'`);
    try {
      checkBackendEnvironment();
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const { values } = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: false }) as {
      values: Record<string, string | boolean | undefined>;
    };
    if (values.help) {
      io.out(commandUsage(command));
      return 0;
    }
    return await command.run(values, io);
  } catch (e) {
    const usage = e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    if (!usage) throw e;
    io.err(`slimtensor: ${(e as Error).message}\n\n${command ? commandUsage(command) : USAGE}`);
    return 2;
  }
}

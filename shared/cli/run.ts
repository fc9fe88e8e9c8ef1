// Running a commander program: commander's and Sextant's errors become exit codes.
import { Command, CommanderError } from 'commander';
import { isSextantError } from '../errors.ts';

/** Parses `argv` with `program`; commander's and Sextant's errors become exit codes. */
export async function runProgram(program: Command, argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (isSextantError(err)) {
      process.stderr.write(`sextant: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/** The `sextant` program every entry point starts from: `--config FILE` (sets SEXTANT_CONFIG for the command's run). */
export function sextantProgram(description: string): Command {
  const program = new Command('sextant')
    .description(description)
    .option('--config <file>', 'JSON configuration file (or SEXTANT_CONFIG)')
    .showHelpAfterError()
    .exitOverride();
  program.hook('preAction', (cmd) => {
    const file = cmd.opts().config as string | undefined;
    if (file) process.env.SEXTANT_CONFIG = file;
  });
  return program;
}

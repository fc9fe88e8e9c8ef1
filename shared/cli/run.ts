// Running a commander program: commander's and Sextant's errors become exit codes.
import { CommanderError, type Command } from 'commander';
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

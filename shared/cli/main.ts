// The `sextant` command line: one commander program, one module per command group.
import { Command } from 'commander';
import { registerFingerprintCommands } from './fingerprints.ts';
import { registerInventoryCommands } from './inventory.ts';
import { registerAgentCommands } from './agent.ts';
import { registerCollectorCommands } from './collector.ts';
import { registerOsCommands } from './os.ts';
import { registerOsScanCommand } from './os-scan.ts';
import { registerScanCommands } from './scan.ts';
import { registerAssetCommands } from './asset.ts';
import { registerImportCommand } from './import.ts';
import { registerRefingerprintCommands } from './refingerprint.ts';
import { registerWatchCommands } from './watch.ts';
import { registerImproveCommands } from './improve.ts';
import { runProgram } from './run.ts';

export function buildProgram(): Command {
  const program = new Command('sextant')
    .description('Sextant: distributed network asset discovery')
    .option('--config <file>', 'JSON configuration file (or SEXTANT_CONFIG)')
    .showHelpAfterError()
    .exitOverride();
  program.hook('preAction', (cmd) => {
    const file = cmd.opts().config as string | undefined;
    if (file) process.env.SEXTANT_CONFIG = file;
  });
  registerFingerprintCommands(program);
  registerOsCommands(program);
  registerOsScanCommand(program);
  registerCollectorCommands(program);
  registerAgentCommands(program);
  registerScanCommands(program);
  registerInventoryCommands(program);
  registerAssetCommands(program);
  registerImportCommand(program);
  registerRefingerprintCommands(program);
  registerWatchCommands(program);
  registerImproveCommands(program);
  return program;
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  return runProgram(buildProgram(), argv);
}

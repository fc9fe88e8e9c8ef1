// The `sextant` command line: one commander program, one module per command group.
import type { Command } from 'commander';
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
import { runProgram, sextantProgram } from './run.ts';

export function buildProgram(): Command {
  const program = sextantProgram('Sextant: distributed network asset discovery');
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

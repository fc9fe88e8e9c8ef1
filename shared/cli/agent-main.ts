// `sextant agent` alone: the entry point bin.js bundles for the agent, so the
// bundle carries the agent and none of the collector (SQLite, Recog engine).
import { Command } from 'commander';
import { registerAgentCommands } from './agent.ts';
import { runProgram } from './run.ts';

export function buildAgentProgram(): Command {
  const program = new Command('sextant')
    .description('Sextant agent')
    .option('--config <file>', 'JSON configuration file (or SEXTANT_CONFIG)')
    .showHelpAfterError()
    .exitOverride();
  program.hook('preAction', (cmd) => {
    const file = cmd.opts().config as string | undefined;
    if (file) process.env.SEXTANT_CONFIG = file;
  });
  registerAgentCommands(program);
  return program;
}

export const main = (argv: string[]): Promise<number> => runProgram(buildAgentProgram(), argv);

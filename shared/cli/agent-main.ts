// `sextant agent` alone: the entry point bin.js bundles for the agent, so the
// bundle carries the agent and none of the collector (SQLite, Recog engine).
import type { Command } from 'commander';
import { registerAgentCommands } from './agent.ts';
import { runProgram, sextantProgram } from './run.ts';

export function buildAgentProgram(): Command {
  const program = sextantProgram('Sextant agent');
  registerAgentCommands(program);
  return program;
}

export const main = (argv: string[]): Promise<number> => runProgram(buildAgentProgram(), argv);

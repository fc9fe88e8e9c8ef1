// `sextant agent` for the tests, until the launcher registers it: the same
// commander program, with the agent command added (argv as for bin.js).
import { registerAgentCommands } from '../../../shared/cli/agent.ts';
import { buildProgram } from '../../../shared/cli/main.ts';

const program = buildProgram();
if (!program.commands.some((c) => c.name() === 'agent')) registerAgentCommands(program);
await program.parseAsync(process.argv);

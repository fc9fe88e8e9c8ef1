#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx, so a fresh clone needs only
// `npm ci`. `sextant agent` runs from an esbuild bundle made at start instead
// (agent-bundle.js: no tsx loader thread, ~30 MB less RSS for the process that
// stays up); SEXTANT_AGENT_TSX=1 runs it through tsx like every other command.

/** The subcommand: the first argument that is neither an option nor an option's value. */
function subcommand(args) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--config') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

const agentMain = subcommand(process.argv.slice(2)) === 'agent' && process.env.SEXTANT_AGENT_TSX !== '1'
  ? await (await import('./agent-bundle.js')).loadAgentBundle()
  : undefined;
if (agentMain) {
  process.exitCode = await agentMain(process.argv);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('./main.ts');
  process.exitCode = await main(process.argv);
}

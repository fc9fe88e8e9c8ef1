// Runs `sextant agent` from an esbuild bundle made at start instead of through
// tsx. tsx's ESM hooks run in a loader thread of their own (Node 20's
// module.register), a second V8 isolate of ~30 MB RSS that an always-on agent
// would carry for nothing once its modules are loaded (docs/benchmarks.md,
// "Port scan"). The bundle holds the agent's sources and packages; native
// addons are still loaded from the project's node_modules (each source's
// import.meta.url is its real file URL, and `require` resolves from the
// project root). It is written to a private temporary directory, imported,
// and removed again.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Builds the agent bundle; resolves with its JavaScript text. */
export async function buildAgentBundle() {
  const { build, stop } = await import('esbuild');
  const fileUrls = {
    name: 'sextant-file-urls',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => ({
        contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: 'ts',
      }));
    },
  };
  const result = await build({
    entryPoints: [join(REPO, 'shared/cli/agent-main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
    plugins: [fileUrls],
    // CommonJS packages inside an ESM bundle call require() for Node's built-ins.
    banner: { js: `import { createRequire as __sextantRequire } from 'node:module'; const require = __sextantRequire(${JSON.stringify(pathToFileURL(join(REPO, 'package.json')).href)});` },
  });
  // esbuild's service process is not needed again.
  await stop();
  const out = result.outputFiles?.[0];
  if (!out) throw new Error('esbuild produced no agent bundle');
  return out.text;
}

/**
 * Builds and loads the agent's command line; resolves with its `main`, or
 * undefined (after saying why on stderr) when the bundle cannot be made here,
 * and the caller runs the agent through tsx instead.
 */
export async function loadAgentBundle() {
  let dir;
  try {
    const text = await buildAgentBundle();
    dir = mkdtempSync(join(tmpdir(), 'sextant-agent-'));
    const file = join(dir, 'agent.mjs');
    writeFileSync(file, text, { mode: 0o600 });
    const mod = await import(pathToFileURL(file).href);
    return mod.main;
  } catch (err) {
    process.stderr.write(`sextant: running the agent through tsx (no bundle: ${err?.message ?? err})\n`);
    return undefined;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

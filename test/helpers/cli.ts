// Runs the real `sextant` launcher as a child process, as a user would.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './recog.ts';

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function sextant(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const r = spawnSync(process.execPath, [join(REPO, 'shared/cli/bin.js'), ...args], {
    cwd: REPO,
    input: options.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, SEXTANT_LOG_LEVEL: 'warn', SEXTANT_RECOG_DIR: '', SEXTANT_EXTERNAL_FINGERPRINTS: '', ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

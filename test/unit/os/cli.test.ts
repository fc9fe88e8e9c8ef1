import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerOsCommands } from '../../../shared/cli/os.ts';
import { SextantError } from '../../../shared/errors.ts';
import { memoryLogger, setRootLogger } from '../../../shared/logging.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/os/${name}`, import.meta.url));
const MINI_DB = fixture('mini-os-db.txt');
const log = memoryLogger();
setRootLogger(log.logger);

async function run(args: string[], stdin = ''): Promise<string> {
  let out = '';
  const program = new Command('sextant').exitOverride();
  registerOsCommands(program, { write: (t) => { out += t; }, readStdin: async () => stdin });
  await program.parseAsync(['node', 'sextant', ...args]);
  return out;
}

describe('sextant os-match', () => {
  it('prints what Nmap prints for a perfect match', async () => {
    const out = await run(['os-match', '--os-db', MINI_DB, fixture('testix.clean.txt')]);
    assert.equal(out, 'Device type: general purpose\nRunning: Testix 1.X\nOS CPE: cpe:/o:testix:testix:1\nOS details: Testix 1.0\n');
  });

  it('reads the fingerprint from standard input and prints guesses, worded by the SCAN G flag', async () => {
    const text = readFileSync(fixture('testix.clean.txt'), 'utf8').replace('TS=A)', 'TS=7)');
    const out = await run(['os-match', '--os-db', MINI_DB, '-'], text);
    const lines = out.trimEnd().split('\n');
    assert.equal(lines.at(-2), 'Aggressive OS guesses: Testix 1.0 (97%), Gadget OS 2 (94%)');
    assert.equal(lines.at(-1), 'No exact OS matches for host (If you know what OS is running on it, see https://nmap.org/submit/ ).');
    const nonIdeal = await run(['os-match', '--os-db', MINI_DB], text.replace('%G=Y%', '%G=N%'));
    assert.match(nonIdeal, /No exact OS matches for host \(test conditions non-ideal\)\.\n$/);
  });

  it('prints the ranked matches as JSON with --json', async () => {
    const out = await run(['os-match', '--os-db', MINI_DB, '--json', fixture('testix.clean.txt')]);
    const json = JSON.parse(out) as { perfect: boolean; matches: Array<Record<string, unknown>> };
    assert.equal(json.perfect, true);
    assert.deepEqual(Object.keys(json.matches[0]!), ['name', 'accuracy', 'line', 'classes']);
    assert.deepEqual(json.matches[0], {
      name: 'Testix 1.0',
      accuracy: 100,
      line: 20,
      classes: [{ vendor: 'Testix', family: 'Testix', generation: '1.X', type: 'general purpose', cpe: ['cpe:/o:testix:testix:1'] }],
    });
    assert.deepEqual(json.matches.map((m) => [m.name, m.accuracy]), [['Testix 1.0', 100], ['Gadget OS 2', 94]]);
  });

  it('logs one line and fails clearly when the database is missing', async () => {
    log.entries.length = 0;
    await assert.rejects(run(['os-match', '--os-db', '/nonexistent/nmap-os-db', fixture('testix.clean.txt')]), (err: unknown) => {
      assert.ok(err instanceof SextantError);
      assert.equal(err.code, 'OSDB_UNREADABLE');
      assert.match(err.message, /^\/nonexistent\/nmap-os-db: no Nmap OS database here/);
      return true;
    });
    assert.deepEqual(log.entries.map((e) => [e.level, e.component, e.file]), [[50, 'os-match', '/nonexistent/nmap-os-db']]);
    assert.match(String(log.entries[0]!.msg), /nmap-os-db not found/);
  });

  it('fails clearly on an unreadable or malformed fingerprint', async () => {
    await assert.rejects(run(['os-match', '--os-db', MINI_DB, '/nonexistent.txt']), /INPUT_INVALID|cannot read the fingerprint/);
    await assert.rejects(run(['os-match', '--os-db', MINI_DB, '-'], 'SEQ(SP=1\n'), (err: unknown) => {
      assert.ok(err instanceof SextantError);
      assert.equal(err.code, 'OS_FINGERPRINT_INVALID');
      assert.match(err.message, /^stdin:1: test SEQ has no closing/);
      return true;
    });
  });
});

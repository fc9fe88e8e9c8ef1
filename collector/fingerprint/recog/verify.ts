// Checks fingerprint databases the way Ruby's recog_verify does (recog-format.md §4):
// params well-formed, every example matches its own fingerprint with exactly the
// declared values, every capture param asserted by some example; no examples = warning.
import type { LoadProblem, RecogDb } from './load.ts';
import { matchFingerprint, matchFirstInDb } from './match.ts';

export interface VerifyMessage {
  level: 'fail' | 'warn';
  file: string;
  line: number | undefined;
  message: string;
}

export interface VerifyReport {
  files: number;
  fingerprints: number;
  examples: number;
  passed: number;
  failed: number;
  warnings: number;
  messages: VerifyMessage[];
}

export function verifyDbs(dbs: RecogDb[], problems: LoadProblem[], files: number): VerifyReport {
  const report: VerifyReport = { files, fingerprints: 0, examples: 0, passed: 0, failed: 0, warnings: 0, messages: [] };
  const fail = (file: string, line: number | undefined, message: string) => {
    report.failed++;
    report.messages.push({ level: 'fail', file, line, message });
  };
  const warn = (file: string, line: number | undefined, message: string) => {
    report.warnings++;
    report.messages.push({ level: 'warn', file, line, message });
  };
  for (const p of problems) fail(p.file, p.line, p.message);
  for (const db of dbs) {
    for (const fp of db.fingerprints) {
      report.fingerprints++;
      const name = `'${fp.description}'`;
      for (const p of fp.params) {
        if (p.pos > 0 && p.value !== '') fail(db.file, fp.line, `${name}: param "${p.name}" takes capture group ${p.pos} but also has a value`);
        if (p.pos === 0 && p.value === '') fail(db.file, fp.line, `${name}: param "${p.name}" is static (pos 0) but has no value`);
      }
      if (fp.examples.length === 0) {
        warn(db.file, fp.line, `${name} has no test cases`);
        continue;
      }
      for (const ex of fp.examples) {
        report.examples++;
        let result;
        try {
          result = matchFingerprint(fp, db, ex.input);
        } catch (err) {
          fail(db.file, ex.line, `${name}: ${(err as Error).message}`);
          continue;
        }
        if (!result) {
          fail(db.file, ex.line, `${name} failed to match ${JSON.stringify(ex.input)}`);
          continue;
        }
        const mismatch = Object.entries(ex.expected).find(([k, v]) => result[k] !== v);
        if (mismatch) {
          const [k, v] = mismatch;
          fail(db.file, ex.line, `${name}: ${JSON.stringify(ex.input)} has "${k}" = ${JSON.stringify(result[k] ?? null)}, expected ${JSON.stringify(v)}`);
          continue;
        }
        report.passed++;
        const first = matchFirstInDb(db, ex.input);
        if (first && first.fingerprint !== fp) {
          warn(db.file, ex.line, `${name}: example is matched first by the earlier '${first.fingerprint.description}' (line ${first.fingerprint.line})`);
        }
      }
      for (const p of fp.params) {
        if (p.pos > 0 && !p.name.startsWith('_tmp.') && !fp.examples.some((ex) => p.name in ex.expected)) {
          fail(db.file, fp.line, `${name}: no example asserts capture param "${p.name}"`);
        }
      }
    }
  }
  return report;
}

// Hostile import files: whatever the bytes, parsing either yields records the
// pipeline's validator accepts or a SextantError naming the file; never a crash.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { IMPORT_LIMITS, parseImport } from '../../../collector/import/index.ts';
import { validateBatch } from '../../../collector/ingest/validate.ts';
import { isSextantError } from '../../../shared/errors.ts';

const XML = readFileSync(new URL('../../fixtures/io/nmap-sshd-nginx.xml', import.meta.url), 'utf8');

function check(text: string): void {
  try {
    const parsed = parseImport(text, { file: 'h' });
    validateBatch({ batchId: parsed.batchId, agentId: parsed.agentId, site: parsed.site, records: parsed.records }, IMPORT_LIMITS, Date.now(), { anyAgent: true });
  } catch (err) {
    if (!isSextantError(err)) throw err;
    assert.match(err.message, /^h[:( ]/);
  }
}

describe('hostile import files', () => {
  it('mutated Nmap XML: records the validator accepts, or a located error', () => {
    fc.assert(fc.property(fc.nat(XML.length - 1), fc.nat(200), fc.string({ maxLength: 40 }), (at, cut, insert) => {
      check(XML.slice(0, at) + insert + XML.slice(Math.min(XML.length, at + cut)));
    }), { numRuns: 300 });
  });

  it('attribute values Nmap would never write (bad ports, addresses, times) are skipped or rejected with the file named', () => {
    const badIp = XML.replaceAll('198.19.179.10', 'not-an-ip');
    check(badIp);
    assert.throws(() => parseImport(badIp, { file: 'h' }), /: h:16:10: host not-an-ip: target\.ip must be an IPv4 or IPv6 address/);
    assert.throws(() => parseImport(XML.replace('--site', '').replace(/<host starttime="\d+" endtime="\d+"/, '<host starttime="4102444800" endtime="4102444800"'), { file: 'h' }), /: h:16:10: host 198\.19\.179\.10: observedAt is more than 24 h in the future/);
    check(XML.replace(/starttime="\d+" endtime="\d+"/, 'starttime="x" endtime="-5"'));
    const parsed = parseImport(XML.replace('portid="22"', 'portid="99999"'), { file: 'h' });
    assert.equal(parsed.records.some((r) => r.target.port === 99999), false);
  });

  it('arbitrary lines as JSONL', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.string(), fc.json()), { maxLength: 5 }), (lines) => {
      check(`{${lines.join('\n')}`);
      check(lines.map((l) => `{"id":${JSON.stringify(l)}}`).join('\n'));
    }), { numRuns: 300 });
  });
});

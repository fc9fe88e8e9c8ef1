import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createRecogEngine, parseRecogXml } from '../../../collector/fingerprint/index.ts';
import { SHARED_RECOG_XML } from '../../helpers/recog.ts';

const engine = createRecogEngine({ builtinDirs: [SHARED_RECOG_XML] });
const keys = engine.keys();

describe('hostile input', () => {
  it('never crashes the matcher on random bytes for any database', () => {
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.uint8Array({ maxLength: 2048 }), (key, bytes) => {
        const r = engine.match(key, bytes);
        assert.ok(r === null || typeof r.matched === 'string');
      }),
      { numRuns: 3000 },
    );
  });

  it('never crashes the matcher on random text built from fingerprint-like pieces', () => {
    const piece = fc.constantFrom('OpenSSH_', 'Apache/', ' ', '\n', '\r\n', '(', ')', '1.2.3', 'Linux', 'SMTP', ';', 'http', 'Windows', '\u00a0', 'é', '\u212a');
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.array(piece, { maxLength: 200 }), (key, parts) => {
        const r = engine.match(key, parts.join(''));
        assert.ok(r === null || typeof r.fingerprint_db === 'string');
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws from the loader on random XML: it returns problems instead', () => {
    const attr = fc.constantFrom('pattern', 'flags', 'pos', 'name', 'value', 'matches', 'preference', '_encoding', 'service.version');
    const value = fc.oneof(fc.string(), fc.constantFrom('(', '^a(b)$', 'REG_ICASE', '0', '1', '9', 'base64', '\\', '&amp;', '{service.version}'));
    const tag = fc.constantFrom('fingerprints', 'fingerprint', 'description', 'example', 'param', 'x');
    const element: fc.Arbitrary<string> = fc.letrec<{ el: string }>((tie) => ({
      el: fc.oneof(
        { maxDepth: 4 },
        fc.string(),
        fc.tuple(tag, fc.array(fc.tuple(attr, value), { maxLength: 3 }), fc.array(tie('el'), { maxLength: 3 })).map(
          ([t, attrs, kids]) => `<${t}${attrs.map(([k, v]) => ` ${k}="${v.replace(/["<&]/g, '')}"`).join('')}>${kids.join('')}</${t}>`,
        ),
      ),
    })).el;
    fc.assert(
      fc.property(fc.oneof(element, fc.string(), element.map((e) => `<fingerprints>${e}</fingerprints>`)), (xml) => {
        const r = parseRecogXml(xml, 'fuzz.xml');
        assert.ok(Array.isArray(r.dbs) && Array.isArray(r.problems));
        for (const p of r.problems) assert.equal(p.file, 'fuzz.xml');
      }),
      { numRuns: 2000 },
    );
  });
});

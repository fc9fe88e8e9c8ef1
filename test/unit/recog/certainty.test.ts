import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { candidatesFromRecog, rankCandidates, summarize } from '../../../collector/fingerprint/index.ts';
import type { FingerprintCandidate } from '../../../shared/types.ts';

const fp = { description: 'd', line: 7 };
const db = { key: 'ssh.banner', file: '/x/ssh_banners.xml', custom: false };

function candidate(over: Partial<FingerprintCandidate>): FingerprintCandidate {
  return { category: 'os', attributes: { product: 'Linux' }, certainty: 0.85, source: 'recog:x', match: 'm', rule: 'r', ...over };
}

describe('certainty ranking', () => {
  it('turns one Recog result into os, service and type candidates with Recog\'s default certainty', () => {
    const c = candidatesFromRecog(
      { matched: 'd', 'os.vendor': 'Cisco', 'os.product': 'IOS', 'os.certainty': '0.5', 'hw.device': 'Router', 'service.product': 'SSH', 'service.protocol': 'ssh', fingerprint_db: 'ssh.banner' },
      fp,
      db,
    );
    assert.deepEqual(c.map((x) => [x.category, x.certainty]), [['os', 0.5], ['hw', 0.85], ['service', 0.85], ['type', 0.85]]);
    assert.equal(c[0]!.rule, 'ssh_banners.xml:7');
    assert.deepEqual(c[2]!.attributes, { product: 'SSH', protocol: 'ssh' });
    assert.deepEqual(c[3]!.attributes, { type: 'Router' });
  });

  it('drops claims of certainty 0, Recog\'s "assert nothing"', () => {
    const c = candidatesFromRecog({ matched: 'd', 'os.product': 'X', 'os.certainty': '0.0', 'service.protocol': '' }, fp, db);
    assert.deepEqual(c, []);
  });

  it('picks the most certain claim per category and lets a custom fingerprint win a tie', () => {
    const w = rankCandidates([
      candidate({ attributes: { product: 'A' }, certainty: 0.8 }),
      candidate({ attributes: { product: 'B' }, certainty: 0.9 }),
      candidate({ attributes: { product: 'C' }, certainty: 0.9, custom: true }),
      candidate({ category: 'hw', attributes: { vendor: 'Dell' }, certainty: 0.5 }),
    ]);
    assert.equal(w.os?.attributes.product, 'C');
    assert.equal(w.hw?.attributes.vendor, 'Dell');
  });

  it('prefers the more specific claim when certainties tie and neither is custom', () => {
    const w = rankCandidates([
      candidate({ attributes: { product: 'Linux' }, source: 'recog:snmp.sys_description' }),
      candidate({ attributes: { vendor: 'Debian', product: 'Linux', version: '12.0' }, source: 'recog:ssh.banner' }),
      candidate({ attributes: { vendor: 'Other', product: 'Linux', version: '1' }, source: 'recog:later' }),
    ]);
    assert.equal(w.os?.source, 'recog:ssh.banner', 'more attributes win; an equally specific later claim does not');
  });

  it('writes fp.* keys and normalized os, os_version, hw and type', () => {
    const s = summarize(
      rankCandidates([
        candidate({ attributes: { vendor: 'Ubuntu', product: 'Linux', version: '22.04' }, source: 'recog:ssh.banner' }),
        candidate({ category: 'hw', attributes: { vendor: 'Dell', product: 'PowerEdge R740' } }),
        candidate({ category: 'type', attributes: { type: 'Server' } }),
      ]),
    );
    assert.equal(s.os, 'Ubuntu Linux');
    assert.equal(s.os_version, '22.04');
    assert.equal(s.hw, 'Dell PowerEdge R740');
    assert.equal(s.type, 'Server');
    assert.equal(s.fp['fp.os.source'], 'recog:ssh.banner');
    assert.equal(s.fp['fp.os.certainty'], '0.85');
    assert.ok(s.fp['fp.build']);
  });
});

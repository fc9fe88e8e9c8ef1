import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import {
  isLocallyAdministered,
  loadOuiTable,
  normalizeMac,
  ouiCandidate,
  OUI_CERTAINTY,
  parseRegistryCsv,
  shortVendorName,
  type OuiTable,
} from '../../../collector/oui/index.ts';
import { isSextantError } from '../../../shared/errors.ts';
import { OUI_FILE } from './support.ts';

let table: OuiTable;
before(() => {
  assert.ok(existsSync(OUI_FILE), `${OUI_FILE} is missing: apt-get install -y ieee-data (deploy/setup.sh does)`);
  table = loadOuiTable(OUI_FILE);
});

describe('MAC vendor lookup from the IEEE registries', () => {
  it('loads the MA-L registry and, beside it, the MA-M and MA-S ones', () => {
    assert.ok(table.sizes['oui.csv']! > 30_000, JSON.stringify(table.sizes));
    assert.ok(table.sizes['mam.csv']! > 1000, JSON.stringify(table.sizes));
    assert.ok(table.sizes['oui36.csv']! > 1000, JSON.stringify(table.sizes));
  });

  it('finds the vendor of a 24-bit OUI in any common MAC spelling', () => {
    for (const mac of ['dc:a6:32:01:02:03', 'DC-A6-32-01-02-03', 'dca6.3201.0203', 'DCA632010203']) {
      const v = table.lookup(mac);
      assert.equal(v?.organization, 'Raspberry Pi Trading Ltd', mac);
      assert.equal(v?.registry, 'MA-L');
      assert.equal(v?.prefix, 'DCA632');
    }
  });

  it('prefers the longest registered prefix: an MA-S block inside the IEEE-owned 70:B3:D5', () => {
    const v = table.lookup('70:b3:d5:f2:f0:01');
    assert.equal(v?.registry, 'MA-S');
    assert.equal(v?.prefix, '70B3D5F2F');
    assert.equal(v?.organization, 'TELEPLATFORMS');
  });

  it('gives no vendor for a locally administered MAC, even when its first three octets match an OUI', () => {
    // 02:1a:11 is 00:1a:11 (Google) with the U/L bit set.
    assert.ok(table.lookup('00:1a:11:00:00:01'));
    assert.equal(isLocallyAdministered('02:1a:11:00:00:01'), true);
    assert.equal(table.lookup('02:1a:11:00:00:01'), undefined);
    assert.equal(table.lookup('da:a1:19:00:00:01'), undefined);
  });

  it('gives no vendor for group addresses and malformed input', () => {
    assert.equal(table.lookup('ff:ff:ff:ff:ff:ff'), undefined);
    assert.equal(table.lookup('01:00:5e:00:00:fb'), undefined);
    assert.equal(table.lookup('not a mac'), undefined);
    assert.equal(normalizeMac('00:1a:11:00:00'), undefined);
  });

  it('shortens registered names to what people call the vendor', () => {
    assert.equal(shortVendorName('Dell Inc.'), 'Dell');
    assert.equal(shortVendorName('Apple, Inc.'), 'Apple');
    assert.equal(shortVendorName('Cisco Systems, Inc'), 'Cisco Systems');
    assert.equal(shortVendorName('Huawei Technologies Co.,Ltd'), 'Huawei');
    assert.equal(shortVendorName('Google, Inc.'), 'Google');
  });

  it('makes a low-certainty hw candidate from a vendor', () => {
    const c = ouiCandidate(table.lookup('dc:a6:32:01:02:03')!, 'ev-1');
    assert.equal(c.category, 'hw');
    assert.equal(c.certainty, OUI_CERTAINTY);
    assert.ok(c.certainty < 0.5);
    assert.equal(c.source, 'oui');
    assert.equal(c.rule, 'ieee-MA-L:DCA632');
    assert.equal(c.evidenceId, 'ev-1');
  });

  it('reads quoted CSV fields and skips Private blocks', () => {
    const t = parseRegistryCsv('Registry,Assignment,Organization Name,Organization Address\nMA-L,001122,"Acme, Inc.","1 Road, Town"\nMA-L,334455,Private,\n', 6);
    assert.equal(t.get('001122')?.organization, 'Acme, Inc.');
    assert.equal(t.get('001122')?.vendor, 'Acme');
    assert.equal(t.has('334455'), false);
  });

  it('fails with CONFIG_INVALID naming the file when the registry is missing', () => {
    assert.throws(() => loadOuiTable('/nonexistent/oui.csv'), (err: unknown) => isSextantError(err, 'CONFIG_INVALID') && err.message.includes('/nonexistent/oui.csv'));
  });
});

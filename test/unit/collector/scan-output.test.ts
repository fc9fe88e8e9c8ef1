import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AssetView } from '../../../collector/assets/index.ts';
import { renderInventoryJson, renderInventoryTable, safeText, serviceLine } from '../../../shared/cli/scan-output.ts';

const T = '2024-05-01T12:00:00.000Z';
const web: AssetView = {
  id: 'a1', site: 'lab', revision: 1, first_seen: T, last_seen: T, alive: true,
  addresses: ['198.18.1.10'], macs: ['dc:a6:32:01:02:03'], mac_vendors: ['Raspberry Pi Trading'], names: ['web01'],
  os: 'Debian Linux', os_version: '12.0', hw: 'Raspberry Pi Trading',
  attributes: { 'fp.os.vendor': 'Debian', 'fp.os.product': 'Linux', 'fp.os.version': '12.0' },
  services: [
    { address: '198.18.1.10', transport: 'tcp', port: 22, protocol: 'ssh', product: 'OpenSSH', version: '9.2p1', attributes: { 'fp.service.family': 'OpenSSH' }, first_seen: T, last_seen: T },
    { address: '198.18.1.10', transport: 'tcp', port: 80, protocol: 'http', vendor: 'Apache', product: 'HTTPD', version: '2.4.57', attributes: { 'fp.service.family': 'Apache' }, first_seen: T, last_seen: T },
  ],
  agents: ['agent-1'], evidence_count: 3,
};
const printer: AssetView = {
  ...web, id: 'a2', addresses: ['198.18.1.9'], macs: [], mac_vendors: [], names: [], os: undefined, os_version: undefined, hw: 'HP LaserJet',
  type: 'Printer', attributes: {}, services: [{ address: '198.18.1.9', transport: 'udp', port: 161, protocol: 'snmp', attributes: {}, first_seen: T, last_seen: T }],
};

describe('scan output', () => {
  it('prints one row per asset, sorted by address, one line per service', () => {
    const text = renderInventoryTable([web, printer]);
    const lines = text.split('\n');
    assert.match(lines[0]!, /^ADDRESS\s+MAC \(VENDOR\)\s+OS\s+HW\s+TYPE\s+SERVICES$/);
    assert.match(lines[1]!, /^198\.18\.1\.9\s+HP LaserJet\s+Printer\s+udp\/161 snmp$/);
    assert.match(lines[2]!, /^198\.18\.1\.10\s+dc:a6:32:01:02:03 \(Raspberry Pi Trading\)\s+Debian Linux 12\.0\s+Raspberry Pi Trading\s+tcp\/22 ssh OpenSSH 9\.2p1$/);
    assert.match(lines[3]!, /^\s+tcp\/80 http Apache HTTPD 2\.4\.57$/);
    assert.equal(lines[5], '2 assets, 3 services');
  });

  it('never passes terminal control characters from banners through', () => {
    assert.equal(safeText('evil\u001b[2J\u0007name'), 'evil\\x1b[2J\\x07name');
    const hostile = { ...web, os: 'Linux\u001b]0;pwned\u0007' };
    assert.ok(!renderInventoryTable([hostile]).includes('\u001b'));
  });

  it('cuts cells to fit a width when asked', () => {
    for (const line of renderInventoryTable([web, printer], { width: 80 }).split('\n')) assert.ok(line.length <= 80, line);
  });

  it('names a service by family and product only when the product alone would not say it', () => {
    assert.equal(serviceLine(web.services[0]!), 'tcp/22 ssh OpenSSH 9.2p1');
    assert.equal(serviceLine(web.services[1]!), 'tcp/80 http Apache HTTPD 2.4.57');
  });

  it('prints --json as an array of assets with fp.* keys, normalized attributes and services', () => {
    const parsed = JSON.parse(renderInventoryJson([web])) as AssetView[];
    assert.deepEqual(parsed, [web]);
    assert.equal(parsed[0]!.attributes['fp.os.version'], '12.0');
    assert.equal(parsed[0]!.services[0]!.product, 'OpenSSH');
  });
});

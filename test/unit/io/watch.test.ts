import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileAssetFilter } from '../../../collector/publish/asset-filter.ts';
import { parseSince } from '../../../collector/publish/watch.ts';
import type { AssetView } from '../../../collector/assets/types.ts';
import { formatWatchedEvent } from '../../../shared/cli/watch.ts';
import { isSextantError } from '../../../shared/errors.ts';

const view: AssetView = {
  id: 'a-1', site: 'hq', revision: 2, first_seen: '2024-05-01T12:00:00.000Z', last_seen: '2024-05-01T12:00:00.000Z', alive: true,
  addresses: ['198.18.9.7'], macs: ['00:1b:21:5e:00:01'], mac_vendors: ['Intel'], names: ['printer-3'], agents: ['agent-a'], evidence_count: 3,
  os: 'Debian Linux', os_version: '12', type: 'Server', attributes: { 'fp.os.vendor': 'Debian' },
  services: [{ address: '198.18.9.7', transport: 'tcp', port: 22, protocol: 'ssh', product: 'OpenSSH', attributes: {}, first_seen: '', last_seen: '' }],
};

describe('watch: filter, --since and output', () => {
  it('filters by field, exact value, wildcard, negation and bare word', () => {
    const yes = (q: string) => assert.equal(compileAssetFilter(q)(view), true, q);
    const no = (q: string) => assert.equal(compileAssetFilter(q)(view), false, q);
    yes('');
    yes('os:debian');
    no('os:windows');
    yes('os:="Debian Linux"');
    no('os:=debian');
    yes('port:22 product:openssh');
    no('port:22 product:nginx');
    yes('address:198.18.9.%');
    yes('-type:printer');
    no('NOT os:debian');
    yes('printer');
    yes('fp.os.vendor:deb');
    yes('source:sextant');
    yes('site:hq agent:agent-a mac_vendor:intel');
    yes('(os:windows OR os:debian) AND port:22');
    no('os:windows OR (os:debian AND port:80)');
    yes('os_version:<12.1 os_version:>9');
  });

  it('refuses what it cannot read, with the position', () => {
    const err = (() => { try { compileAssetFilter('os:linux colour:red'); } catch (e) { return e as Error; } })();
    assert.ok(isSextantError(err, 'SEARCH_SYNTAX'));
    assert.match(err.message, /unknown field "colour" .*at position 10/);
    assert.throws(() => compileAssetFilter('name:"abc'), /unterminated quoted value at position 6/);
  });

  it('reads --since as a duration ago or an ISO time', () => {
    const now = new Date('2024-05-15T12:00:00.000Z');
    assert.equal(parseSince('2h', now).toISOString(), '2024-05-15T10:00:00.000Z');
    assert.equal(parseSince('2weeks', now).toISOString(), '2024-05-01T12:00:00.000Z');
    assert.equal(parseSince('30m', now).toISOString(), '2024-05-15T11:30:00.000Z');
    assert.equal(parseSince('2024-05-01T00:00:00Z', now).toISOString(), '2024-05-01T00:00:00.000Z');
    assert.throws(() => parseSince('yesterday', now), /\(--since\): "yesterday" is neither a duration/);
  });

  it('prints one line per event and the changes of an update', () => {
    const text = formatWatchedEvent({ event: 'updated', site: 'hq', asset: view, changes: [{ field: 'os', before: null, after: 'Debian Linux' }, { field: 'names', before: [], after: ['printer-3'] }], seq: 7, time: '2024-05-01T12:00:01.000Z', subject: 'sextant.assets.hq.updated' });
    assert.equal(text, '2024-05-01T12:00:01.000Z updated a-1 site=hq 198.18.9.7 printer-3 [Debian Linux / Server]\n    os: - -> Debian Linux\n    names: - -> printer-3\n');
    assert.equal(formatWatchedEvent({ event: 'deleted', site: 'hq', asset: { id: 'a-2' }, changes: [], seq: 8, time: 't', subject: 's' }), 't deleted a-2 site=hq -\n');
  });
});

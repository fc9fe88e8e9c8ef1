import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeTask } from '../../../collector/server/index.ts';
import { parseTaskFlag } from '../../../shared/cli/collector.ts';

describe('task flags and task checks', () => {
  it('reads a --task flag into a task', () => {
    assert.deepEqual(parseTaskFlag('site=lab targets=198.18.1.0/24,198.18.2.5 ports=top-100 exclude=198.18.1.1 probes=ssh,http rate=500 hosts=8 timeout=2000 os=true agent=a1 id=t-7'), {
      site: 'lab', targets: ['198.18.1.0/24', '198.18.2.5'], ports: 'top-100', exclude: ['198.18.1.1'], probes: ['ssh', 'http'],
      ratePps: 500, hostsInFlight: 8, probeTimeoutMs: 2000, osDetection: true, agent: 'a1', taskId: 't-7',
    });
  });

  it('refuses flags without site or targets, or with unknown keys', () => {
    assert.throws(() => parseTaskFlag('targets=127.0.0.1'), /site=SITE/);
    assert.throws(() => parseTaskFlag('site=lab targets=127.0.0.1 color=red'), /unknown key "color"/);
    assert.throws(() => parseTaskFlag('site=lab targets'), /key=value/);
  });

  it('checks tasks before an agent sees them', () => {
    assert.equal(makeTask({ site: 'lab', targets: ['127.0.0.1'] }).task.ports, 'top-100');
    assert.throws(() => makeTask({ site: 'a.b', targets: ['127.0.0.1'] }), /site/);
    assert.throws(() => makeTask({ site: 'lab', targets: ['localhost'] }), /targets/);
    assert.throws(() => makeTask({ site: 'lab', targets: [] }), /at least one target/);
    assert.throws(() => makeTask({ site: 'lab', targets: ['127.0.0.1'], ports: '0' }), /ports/);
    assert.throws(() => makeTask({ site: 'lab', targets: ['127.0.0.1'], ratePps: -1 }), /ratePps/);
  });
});

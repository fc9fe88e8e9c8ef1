import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTargets, probeForGreeting, runScanTask, type EvidenceItem, type PortState, type ScanTaskSpec, type TaskProgressInfo } from '../../../agent/index.ts';
import { memoryLogger } from '../../../shared/logging.ts';
import type { Probe, ProbeContext, Target } from '../../../shared/types.ts';

function fakeProbe(name: string, transport: 'tcp' | 'udp', defaultPorts: number[], calls: Array<[string, Target]>, answer: (t: Target) => Record<string, string> | undefined): Probe {
  return {
    name,
    transport,
    defaultPorts,
    async run(target: Target, ctx: ProbeContext) {
      ctx.checkTarget?.(target.ip);
      calls.push([name, target]);
      const facts = answer(target);
      const startedAt = new Date().toISOString();
      return facts
        ? { probe: name, target, status: 'success', facts, startedAt, durationMs: 1 }
        : { probe: name, target, status: 'timeout', startedAt, durationMs: 1 };
    },
  };
}

const spec = (over: Partial<ScanTaskSpec>): ScanTaskSpec => ({
  taskId: 't-1', targets: ['198.18.9.0/29'], exclude: [], ports: '21,22,80,9999', probes: [], ratePps: 100_000, hostsInFlight: 4, probeTimeoutMs: 500, osDetection: false, ...over,
});

function world() {
  const connects: Array<[string, number]> = [];
  const calls: Array<[string, Target]> = [];
  const ports: Record<string, Record<number, PortState>> = {
    '198.18.9.1': { 22: 'open', 80: 'open', 9999: 'open' },
    '198.18.9.2': { 21: 'closed' },
  };
  const probes = [
    fakeProbe('ssh', 'tcp', [22], calls, (t) => (t.port === 22 ? { 'ssh.banner': 'OpenSSH_9.2p1 Debian-2+deb12u3' } : undefined)),
    fakeProbe('http', 'tcp', [80], calls, (t) => (t.port === 80 || t.port === 9999 ? { 'http_header.server': 'nginx/1.22.1' } : undefined)),
    fakeProbe('https', 'tcp', [443], calls, () => undefined),
    fakeProbe('snmp', 'udp', [161], calls, (t) => (t.ip === '198.18.9.1' ? { 'snmp.sys_description': 'Linux' } : undefined)),
  ];
  const env = {
    agentId: 'a-1',
    log: memoryLogger().logger,
    probes,
    connect: async (ip: string, port: number): Promise<PortState> => {
      connects.push([ip, port]);
      return ports[ip]?.[port] ?? 'filtered';
    },
    mac: (ip: string) => (ip === '198.18.9.1' ? '00:1b:21:aa:bb:cc' : undefined),
  };
  return { connects, calls, env };
}

async function run(s: ScanTaskSpec, env: ReturnType<typeof world>['env'], signal = new AbortController().signal) {
  const evidence: EvidenceItem[] = [];
  const progress: TaskProgressInfo[] = [];
  const final = await runScanTask(s, env, { evidence: (e) => evidence.push(e), progress: (p) => progress.push(p) }, signal);
  return { final, evidence, progress };
}

describe('the scan scheduler', () => {
  it('discovers hosts, probes open ports by default port and unknown ports by banner, and reports progress', async () => {
    const w = world();
    const { final, evidence, progress } = await run(spec({}), w.env);
    assert.deepEqual({ state: final.state, total: final.hostsTotal, done: final.hostsDone, alive: final.hostsAlive }, { state: 'done', total: 8, done: 8, alive: 2 });
    assert.equal(progress.at(-1)?.state, 'done');
    const seen = evidence.map((e) => `${e.probe} ${e.ip}:${e.port}/${e.transport} ${Object.keys(e.facts).join(',')}`).sort();
    assert.deepEqual(seen, [
      'arp 198.18.9.1:0/arp mac.address',
      'connect 198.18.9.1:22/tcp port.state',
      'connect 198.18.9.1:80/tcp port.state',
      'connect 198.18.9.1:9999/tcp port.state',
      'connect 198.18.9.2:0/tcp host.state',
      'http 198.18.9.1:80/tcp http_header.server',
      'http 198.18.9.1:9999/tcp http_header.server',
      'snmp 198.18.9.1:161/udp snmp.sys_description',
      'ssh 198.18.9.1:22/tcp ssh.banner',
    ]);
    // The unknown port got the SSH greeting check first, then HTTP.
    assert.deepEqual(w.calls.filter(([, t]) => t.port === 9999).map(([n]) => n), ['ssh', 'http']);
    assert.equal(new Set(evidence.map((e) => e.id)).size, evidence.length);
  });

  it('never touches an excluded address or one outside the targets', async () => {
    const w = world();
    await run(spec({ exclude: ['198.18.9.1', '198.18.9.4-198.18.9.7'] }), w.env);
    const touched = new Set([...w.connects.map(([ip]) => ip), ...w.calls.map(([, t]) => t.ip)]);
    assert.deepEqual([...touched].sort(), ['198.18.9.0', '198.18.9.2', '198.18.9.3']);
  });

  it('refuses a task outside the agent\'s scope before sending anything', async () => {
    const w = world();
    const allowed = parseTargets(['198.18.9.0/30']);
    assert.ok(allowed.ok);
    const { final } = await run(spec({}), { ...w.env, allowed: allowed.set } as typeof w.env);
    assert.equal(final.state, 'refused');
    assert.match(final.message, /outside the scope/);
    assert.equal(w.connects.length, 0);
  });

  it('refuses malformed ports, targets and unknown probes', async () => {
    for (const bad of [spec({ ports: '0-9' }), spec({ targets: ['example.com'] }), spec({ probes: ['nope'] })]) {
      const w = world();
      const { final } = await run(bad, w.env);
      assert.equal(final.state, 'refused');
      assert.equal(w.connects.length, 0);
    }
  });

  it('stops when cancelled', async () => {
    const w = world();
    const ac = new AbortController();
    const slow = { ...w.env, connect: async () => { await new Promise((r) => setTimeout(r, 20)); return 'filtered' as PortState; } };
    setTimeout(() => ac.abort(), 30);
    const { final } = await run(spec({ targets: ['198.18.9.0/24'], hostsInFlight: 2 }), slow, ac.signal);
    assert.equal(final.state, 'failed');
    assert.ok(final.hostsDone < 256);
  });

  it('maps greetings to the probe that reads them', () => {
    assert.deepEqual(probeForGreeting('220 (vsFTPd 3.0.3)\r\n'), ['ftp', 'smtp']);
    assert.deepEqual(probeForGreeting('220 mail ESMTP Exim 4.96\r\n'), ['smtp', 'ftp']);
    assert.deepEqual(probeForGreeting('+OK Dovecot ready.\r\n'), ['pop3']);
    assert.deepEqual(probeForGreeting('* OK [CAPABILITY IMAP4rev1] ready\r\n'), ['imap']);
    assert.deepEqual(probeForGreeting('INFO {"server_id":"x"}\r\n'), ['nats']);
    assert.deepEqual(probeForGreeting('hello'), []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeOsFingerprint, formatSubjectFingerprint, subjectValue, type OsScanEvidence } from '../../../collector/fingerprint/os/index.ts';
import { createOsEngine, osEvidenceOf, readCaptured, type OsEngineOptions, type OsHostEvidence, type OsScanOutcome } from '../../../agent/net/index.ts';
import { osProbe, type OsProbeContext } from '../../../agent/probes/os.ts';
import { simulatedNetwork, type SimulatedHost } from './simulated-network.ts';

const SOURCE = '198.18.0.1';
const FAST = { minTimeoutMs: 40, initialTimeoutMs: 100, tuiGapMs: 2 };

function engineOn(hosts: SimulatedHost[], extra: Partial<OsEngineOptions> = {}) {
  const net = simulatedNetwork(hosts);
  const engine = createOsEngine({
    openTransport: () => ({ ok: true, transport: net }),
    route: async () => ({ source: SOURCE, localhost: false, directlyConnected: false }),
    ...extra,
  });
  return { net, engine };
}

function evidenceOf(outcome: OsScanOutcome): OsHostEvidence {
  assert.ok('evidence' in outcome, JSON.stringify(outcome));
  return outcome.evidence;
}

const sentNames = (round: OsScanEvidence) => [...round.probes].sort((a, b) => Number(BigInt(a.sentAt) - BigInt(b.sentAt))).map((p) => p.name);

describe('the OS-probe engine', () => {
  it('sends the SEQ SYNs at least 100 ms apart, then IE1, IE2, U1, ECN, T2–T7, and re-sends only the silent T2 and T3, four times each from fresh ports', async () => {
    const { net, engine } = engineOn([{ address: '198.18.0.2', openPort: 80 }]);
    const host = evidenceOf(await engine.scan({ target: '198.18.0.2', openTcpPort: 80, closedTcpPort: 1, closedUdpPort: 38358, timing: FAST }));
    const round = host.rounds[0]!;
    const names = sentNames(round);
    // First sends in order; a re-send may overtake a later first send when the
    // event loop is late (a loaded machine), so re-sends are counted, not placed.
    const firstSends = names.filter((n, i) => names.indexOf(n) === i);
    assert.deepEqual(firstSends, ['SEQ1', 'SEQ2', 'SEQ3', 'SEQ4', 'SEQ5', 'SEQ6', 'IE1', 'IE2', 'U1', 'ECN', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7']);
    assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i).sort(), ['T2', 'T2', 'T2', 'T3', 'T3', 'T3']);
    const seq = round.probes.filter((p) => p.name.startsWith('SEQ')).map((p) => BigInt(p.sentAt));
    for (let i = 1; i < 6; i++) assert.ok(seq[i]! - seq[i - 1]! >= 100_000_000n, `gap ${i}: ${seq[i]! - seq[i - 1]!} ns`);
    const t2Ports = round.probes.filter((p) => p.name === 'T2').map((p) => Buffer.from(p.sent, 'base64').readUInt16BE(20));
    assert.equal(new Set(t2Ports).size, 4);
    assert.equal(net.sent.length, round.probes.length);
    assert.ok(net.closed, 'the raw sockets are closed when no scan runs');
  });

  it('returns evidence the collector turns into the expected subject print', async () => {
    const { engine } = engineOn([{ address: '198.18.0.2', openPort: 80 }]);
    const host = evidenceOf(await engine.scan({ target: '198.18.0.2', openTcpPort: 80, closedTcpPort: 1, closedUdpPort: 38358, timing: FAST }));
    assert.equal(host.source, SOURCE);
    assert.deepEqual(host.ports, { openTcp: 80, closedTcp: 1, closedUdp: 38358 });
    const round = host.rounds[0]!;
    assert.equal(round.openTcpPort, 80);
    assert.equal(round.closedTcpPort, 1);
    const { fingerprint, nonIdealReasons, distance } = computeOsFingerprint(round);
    const text = formatSubjectFingerprint(fingerprint, { wrap: false });
    assert.deepEqual(nonIdealReasons, []);
    assert.equal(distance, 1);
    assert.match(text, /^OPS\(O1=M5B4ST11NW7%.*O6=M5B4ST11NW7\)$/m);
    assert.match(text, /^WIN\(W1=FE88%W2=FE88%W3=FE88%W4=FE88%W5=FE88%W6=FE88\)$/m);
    assert.match(text, /^T1\(R=Y%DF=Y%T=40%S=O%A=S\+%F=AS%RD=0%Q=\)$/m);
    assert.match(text, /^T2\(R=N\)$/m);
    assert.match(text, /^T3\(R=N\)$/m);
    assert.match(text, /^T4\(R=Y%DF=Y%T=40%W=0%S=A%A=Z%F=R%O=%RD=0%Q=\)$/m);
    assert.match(text, /^T5\(R=Y%DF=Y%T=40%W=0%S=Z%A=S\+%F=AR%O=%RD=0%Q=\)$/m);
    assert.match(text, /^T7\(R=Y%DF=Y%T=40%W=0%S=Z%A=S\+%F=AR%O=%RD=0%Q=\)$/m);
    assert.match(text, /^U1\(R=Y%DF=N%T=40%IPL=164%UN=0%RIPL=G%RID=G%RIPCK=G%RUCK=G%RUD=G\)$/m);
    assert.match(text, /^IE\(R=Y%DFI=N%T=40%CD=S\)$/m);
    assert.equal(subjectValue(fingerprint, 'SEQ', 'TI'), 'Z');
  });

  it('gives each of many hosts probed at once over one transport only its own replies', async () => {
    const hosts = ['198.18.0.2', '198.18.0.6', '198.18.0.10', '198.18.0.14'].map((address, i) => ({ address, openPort: 80 + i, delayMs: 1 + i }));
    const { net, engine } = engineOn(hosts);
    const outcomes = await Promise.all(hosts.map((h) => engine.scan({ target: h.address, openTcpPort: h.openPort, closedTcpPort: 1, closedUdpPort: 38358, timing: FAST })));
    outcomes.forEach((o, i) => {
      const round = evidenceOf(o).rounds[0]!;
      const replies = round.probes.flatMap((p) => p.replies.map((r) => readCaptured(Buffer.from(r.packet, 'base64'))));
      assert.ok(replies.length >= 14);
      for (const r of replies) assert.equal(r?.ip.src, hosts[i]!.address);
      assert.equal(subjectValue(computeOsFingerprint(round).fingerprint, 'ECN', 'R'), 'Y');
    });
    assert.ok(net.closed);
  });

  it('keeps two rounds against the same host at the same time apart by port and ICMP id', async () => {
    const { engine } = engineOn([{ address: '198.18.0.2', openPort: 80 }]);
    const [a, b] = await Promise.all([0, 1].map(() => engine.scan({ target: '198.18.0.2', openTcpPort: 80, closedTcpPort: 1, closedUdpPort: 38358, timing: FAST })));
    for (const o of [a!, b!]) {
      const round = evidenceOf(o).rounds[0]!;
      for (const p of round.probes) {
        const sent = readCaptured(Buffer.from(p.sent, 'base64'));
        for (const r of p.replies) {
          const reply = readCaptured(Buffer.from(r.packet, 'base64'));
          if (sent?.kind === 'tcp' && reply?.kind === 'tcp') assert.equal(reply.tcp.dstPort, sent.tcp.srcPort);
        }
      }
      assert.equal(subjectValue(computeOsFingerprint(round).fingerprint, 'IE', 'R'), 'Y');
      assert.ok(computeOsFingerprint(round).fingerprint.tests.some((t) => t.name === 'OPS'));
    }
  });

  it('re-sends the OPS/WIN probe of a SEQ probe that drew no reply, and T1 when SEQ1 drew none', async () => {
    const silentSeq = (p: { window?: number; flags?: number }, n: number) => p.flags === 0x02 && (p.window === 1 || p.window === 16) && n === 0;
    const { engine } = engineOn([{ address: '198.18.0.2', openPort: 80, drop: silentSeq }]);
    const round = evidenceOf(await engine.scan({ target: '198.18.0.2', openTcpPort: 80, closedTcpPort: 1, closedUdpPort: 38358, timing: FAST })).rounds[0]!;
    const names = sentNames(round);
    // Windows 1 and 16 are SEQ1 (and T1) and SEQ5; only their first transmissions are dropped.
    for (const n of ['T1', 'OPS1', 'OPS5']) assert.ok(names.includes(n as never), `${n} in ${names.join(' ')}`);
    assert.ok(!names.includes('OPS2'));
    const fp = computeOsFingerprint(round).fingerprint;
    assert.ok(fp.tests.some((t) => t.name === 'OPS'), formatSubjectFingerprint(fp, { wrap: false }));
    assert.equal(subjectValue(fp, 'T1', 'R'), 'Y');
  });

  it('without an open port sends no SEQ, ECN or T1–T4 probe, and guesses a closed TCP port in 30000–44780 as Nmap does', async () => {
    const { engine } = engineOn([{ address: '198.18.0.2', openPort: 80 }]);
    const host = evidenceOf(await engine.scan({ target: '198.18.0.2', timing: FAST }));
    const names = new Set(sentNames(host.rounds[0]!));
    assert.deepEqual([...names].sort(), ['IE1', 'IE2', 'T5', 'T6', 'T7', 'U1']);
    assert.ok(host.ports.closedTcp >= 30000 && host.ports.closedTcp <= 44780);
    assert.equal(host.rounds[0]!.closedTcpPort, undefined, 'a guessed port is not reported as known closed');
  });

  it('runs another round only while the caller asks for one', async () => {
    const { engine } = engineOn([{ address: '198.18.0.2', openPort: 80 }]);
    const asked: number[] = [];
    const host = evidenceOf(await engine.scan({
      target: '198.18.0.2', openTcpPort: 80, closedTcpPort: 1, timing: FAST, maxRounds: 5, roundDelayMs: () => 0,
      another: (_round, index) => {
        asked.push(index);
        return index === 0;
      },
    }));
    assert.equal(host.rounds.length, 2);
    assert.deepEqual(asked, [0, 1]);
  });

  it('reports blocked without raw-socket permission, unreachable without a route, and a silent host as timeout', async () => {
    const blocked = createOsEngine({ openTransport: () => ({ ok: false, reason: 'permission', error: 'raw sockets need root or CAP_NET_RAW' }), route: async () => ({ source: SOURCE, localhost: false, directlyConnected: false }) });
    assert.deepEqual(await blocked.scan({ target: '198.18.0.2', openTcpPort: 80 }), { status: 'blocked', error: 'raw sockets need root or CAP_NET_RAW' });
    const noRoute = createOsEngine({ route: async () => { throw new Error('EINVAL'); } });
    assert.equal((await noRoute.scan({ target: '198.18.0.2' })).status, 'unreachable');
    const { engine } = engineOn([]);
    const silent = await engine.scan({ target: '198.18.0.2', openTcpPort: 80, closedTcpPort: 1, timing: { ...FAST, initialTimeoutMs: 20, minTimeoutMs: 20 } });
    assert.equal(silent.status, 'timeout');
    assert.equal(evidenceOf(silent).rounds[0]!.probes.filter((p) => p.name === 'T5').length, 4);
  });
});

describe('the os probe', () => {
  it('returns the raw evidence under tcpip.os_probes with the success status', async () => {
    const { engine } = engineOn([{ address: '198.18.0.2', openPort: 80 }]);
    const ctx: OsProbeContext = { timeoutMs: 0, os: { engine, closedTcpPort: 1, timing: FAST } };
    const result = await osProbe.run({ ip: '198.18.0.2', port: 80 }, ctx);
    assert.equal(result.status, 'success');
    assert.deepEqual(result.target, { ip: '198.18.0.2', port: 80, transport: 'tcp' });
    const evidence = osEvidenceOf(result);
    assert.ok(evidence);
    assert.equal(evidence.rounds[0]!.openTcpPort, 80);
    assert.doesNotThrow(() => computeOsFingerprint(evidence.rounds[0]!));
    assert.ok(JSON.parse(JSON.stringify(result)));
  });

  it('turns a scope refusal, a raw-socket refusal, IPv6 and names into statuses, never exceptions', async () => {
    const { engine } = engineOn([]);
    const refuse = (ip: string) => { throw new Error(`${ip} is outside the task's scope`); };
    const outOfScope = await osProbe.run({ ip: '198.18.0.2' }, { timeoutMs: 0, checkTarget: refuse, os: { engine } } as OsProbeContext);
    assert.equal(outOfScope.status, 'blocked');
    assert.match(outOfScope.error ?? '', /outside the task's scope/);
    const noRaw = createOsEngine({ openTransport: () => ({ ok: false, reason: 'permission', error: 'raw sockets need root or CAP_NET_RAW: Operation not permitted' }), route: async () => ({ source: SOURCE, localhost: false, directlyConnected: false }) });
    const blocked = await osProbe.run({ ip: '198.18.0.2', port: 80 }, { timeoutMs: 0, os: { engine: noRaw } } as OsProbeContext);
    assert.equal(blocked.status, 'blocked');
    assert.equal((await osProbe.run({ ip: '::1' }, { timeoutMs: 0 })).status, 'error');
    assert.equal((await osProbe.run({ ip: 'example.test' }, { timeoutMs: 0 })).status, 'error');
  });
});

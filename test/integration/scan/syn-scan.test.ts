// The SYN port scan over real raw sockets against a namespace lab: real
// listeners (open), nothing listening (closed), a listener whose full accept
// queue makes the kernel drop SYNs (filtered), addresses behind an `unreachable` and a
// `prohibit` route (ICMP host unreachable / administratively prohibited);
// agreement with TCP connect and with `nmap -sS` on the same ports; the
// agent's evidence; connect scanning in a process without CAP_NET_RAW; scope
// refusal before any packet.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { connectPort, openRawAccess, parseTargets, runScanTask, type EvidenceItem, type PortState, type RawAccess } from '../../../agent/index.ts';
import { createSynScanner, SYN_CLOSED, SYN_FILTERED, SYN_OPEN, SYN_UNREACHABLE } from '../../../agent/net/index.ts';
import type { PacketTransport } from '../../../agent/net/index.ts';
import { createRateLimiter } from '../../../agent/scan/limits.ts';
import { memoryLogger } from '../../../shared/logging.ts';
import { REPO } from '../../helpers/recog.ts';
import { assertSafeTarget, createLab, labUnavailableReason, startTcpListener, type Lab } from '../../helpers/netlab.ts';

const run = promisify(execFile);
const skip = labUnavailableReason();
const PORTS = [22, 80, 81, 8081];
const FILTERED_PORT = 8081;
const CODE_NAME = { [SYN_OPEN]: 'open', [SYN_CLOSED]: 'closed', [SYN_FILTERED]: 'filtered', [SYN_UNREACHABLE]: 'unreachable' } as Record<number, string>;

describe('SYN port scan in a namespace lab', { skip }, () => {
  let lab: Lab;
  let raw: RawAccess;
  /** .1 and .2 answer; .130 sits behind an `unreachable` route, .200 behind a `prohibit` one. */
  let live: string[];
  let unreachable: string;
  let prohibited: string;

  before(async () => {
    lab = await createLab({ anyIp: true, sysctls: { 'net.ipv4.ip_forward': 1, 'net.ipv4.icmp_ratelimit': 0, 'net.ipv4.icmp_msgs_per_sec': 100000 } });
    const base = lab.anyIpRange!.replace(/0\/24$/, '');
    live = [`${base}1`, `${base}2`];
    unreachable = `${base}130`;
    prohibited = `${base}200`;
    for (const a of [...live, unreachable, prohibited]) assertSafeTarget(a);
    // Only the lower half of the AnyIP range stays local; the upper half gets ICMP errors from the namespace.
    await lab.run('ip', ['route', 'del', 'local', lab.anyIpRange!, 'dev', 'lo', 'table', 'local']);
    await lab.run('ip', ['route', 'add', 'local', `${base}0/25`, 'dev', 'lo', 'table', 'local']);
    await lab.run('ip', ['route', 'add', 'unreachable', `${base}128/26`]);
    await lab.run('ip', ['route', 'add', 'prohibit', `${base}192/26`]);
    // A port that never answers without any firewall tooling (this kernel has no tc actions or
    // prio qdisc): a listener that never accepts, whose accept queue is full, so Linux drops
    // every further SYN silently (tcp_conn_request: listen overflow).
    const jammed = lab.spawn('python3', ['-c', [
      'import socket, time',
      's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
      `s.bind(('0.0.0.0', ${FILTERED_PORT})); s.listen(0)`,
      `c = socket.create_connection(('127.0.0.1', ${FILTERED_PORT}))`,
      'print("jammed", flush=True)',
      'time.sleep(3600)',
    ].join('\n')]);
    await new Promise<void>((resolve, reject) => {
      jammed.stdout?.on('data', (d: Buffer) => d.toString().includes('jammed') && resolve());
      jammed.once('exit', (code) => reject(new Error(`the jammed listener exited with ${code}`)));
    });
    for (const p of [22, 80]) await startTcpListener(lab, p);
    const opened = openRawAccess(memoryLogger().logger);
    assert.ok(opened, 'root opens raw sockets');
    raw = opened;
  });

  after(async () => {
    raw?.close();
    await lab?.teardown();
  });

  const synScanner = () => createSynScanner(raw.transport, { limiter: createRateLimiter(5000), minWaitMs: 100, maxWaitMs: 300 })!;

  it('finds open, closed, filtered and unreachable ports as they are', async () => {
    const s = synScanner();
    try {
      // Two ports behind the routes: the kernel sends at most 5 route errors in a burst (net.ipv4.route.error_burst, not per namespace).
      const portsFor = (ip: string) => (ip === unreachable || ip === prohibited ? PORTS.slice(0, 2) : PORTS);
      const results = await Promise.all([...live, unreachable, prohibited].map(async (ip) => [ip, [...(await s.scan(ip, portsFor(ip)))].map((c) => CODE_NAME[c])] as const));
      assert.deepEqual(Object.fromEntries(results), {
        [live[0]!]: ['open', 'open', 'closed', 'filtered'],
        [live[1]!]: ['open', 'open', 'closed', 'filtered'],
        [unreachable]: ['unreachable', 'unreachable'],
        // Nmap's reading of "administratively prohibited".
        [prohibited]: ['filtered', 'filtered'],
      });
      // Only the silent port was sent again (twice on each live host): the routes' ports were settled by their ICMP errors.
      assert.equal(s.stats.retransmitted, 2 * 2);
    } finally {
      s.close();
    }
  });

  it('agrees with TCP connect and with nmap -sS on the same ports', async (t) => {
    const s = synScanner();
    const target = live[0]!;
    let syn: string[];
    try {
      syn = [...(await s.scan(target, PORTS))].map((c) => CODE_NAME[c]!);
    } finally {
      s.close();
    }
    const connect: PortState[] = [];
    for (const p of PORTS) connect.push(await connectPort(target, p, 1000));
    assert.deepEqual(syn, connect);
    try {
      await run('nmap', ['--version']);
    } catch {
      return t.skip('nmap is not installed');
    }
    const { stdout } = await run('nmap', ['-n', '-Pn', '-sS', '-p', PORTS.join(','), '--max-retries', '2', '-e', lab.hostInterface, '-oG', '-', target]);
    const nmap = PORTS.map((p) => new RegExp(`\\b${p}/(\\w+)/tcp`).exec(stdout)?.[1]);
    assert.deepEqual(syn, nmap);
  });

  it('the agent reports SYN-scanned open ports as "syn" evidence, and skips hosts that are not there', async () => {
    const evidence: EvidenceItem[] = [];
    const final = await runScanTask(
      { taskId: 'syn-lab', targets: [live[0]!, live[1]!, unreachable], exclude: [], ports: PORTS.join(','), probes: [], ratePps: 5000, hostsInFlight: 8, probeTimeoutMs: 1000, osDetection: false },
      { agentId: 'lab', log: memoryLogger().logger, probes: [], mac: () => undefined, raw: raw.transport },
      { evidence: (e) => evidence.push(e), progress: () => undefined },
      new AbortController().signal,
    );
    assert.equal(final.state, 'done');
    assert.equal(final.hostsAlive, 2);
    assert.deepEqual(evidence.map((e) => `${e.probe} ${e.ip}:${e.port} ${JSON.stringify(e.facts)}`).sort(), [
      `syn ${live[0]}:22 {"port.state":"open"}`,
      `syn ${live[0]}:80 {"port.state":"open"}`,
      `syn ${live[1]}:22 {"port.state":"open"}`,
      `syn ${live[1]}:80 {"port.state":"open"}`,
    ]);
  });

  it('connect-scans IPv6 targets of the same task (the SYN scanner speaks IPv4)', async (t) => {
    const server = net.createServer((c) => c.destroy());
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: 0, host: '::1' }, () => resolve());
      });
    } catch {
      return t.skip('no ::1 here');
    }
    const port = (server.address() as net.AddressInfo).port;
    assertSafeTarget('::1');
    const evidence: EvidenceItem[] = [];
    try {
      await runScanTask(
        { taskId: 'syn-v6', targets: ['::1', '127.0.0.1'], exclude: [], ports: String(port), probes: [], ratePps: 5000, hostsInFlight: 4, probeTimeoutMs: 1000, osDetection: false },
        { agentId: 'lab', log: memoryLogger().logger, probes: [], mac: () => undefined, raw: raw.transport },
        { evidence: (e) => evidence.push(e), progress: () => undefined },
        new AbortController().signal,
      );
    } finally {
      server.close();
    }
    // ::1 answers on the port (connect); 127.0.0.1 has nothing there, so it is only up (RST to the SYN).
    assert.deepEqual(evidence.map((e) => `${e.probe} ${e.ip}:${e.port} ${JSON.stringify(e.facts)}`).sort(), [
      `connect ::1:${port} {"port.state":"open"}`,
      'syn 127.0.0.1:0 {"host.state":"up"}',
    ]);
  });

  it('connect-scans when the kernel refuses every crafted packet (raw sockets open, sending forbidden)', async () => {
    const refusing: PacketTransport = { ...raw.transport, onBorrowed: (h) => raw.transport.onBorrowed!(h), sendNow: () => false };
    const { logger, entries } = memoryLogger('warn');
    const evidence: EvidenceItem[] = [];
    const final = await runScanTask(
      { taskId: 'syn-refused', targets: [live[0]!], exclude: [], ports: '22,80,81', probes: [], ratePps: 5000, hostsInFlight: 4, probeTimeoutMs: 1000, osDetection: false },
      { agentId: 'lab', log: logger, probes: [], mac: () => undefined, raw: refusing },
      { evidence: (e) => evidence.push(e), progress: () => undefined },
      new AbortController().signal,
    );
    assert.equal(final.state, 'done');
    assert.deepEqual(evidence.map((e) => `${e.probe} ${e.ip}:${e.port}`).sort(), [`connect ${live[0]}:22`, `connect ${live[0]}:80`]);
    assert.ok(entries.some((e) => /SYN probes cannot be sent/.test(String(e.msg))));
  });

  it('refuses a task outside the agent\'s scope before sending a packet', async () => {
    let sent = 0;
    const counting: PacketTransport = {
      ...raw.transport,
      onBorrowed: (h) => raw.transport.onBorrowed!(h),
      sendNow: (d, dst) => {
        sent++;
        return raw.transport.sendNow!(d, dst);
      },
    };
    const allowed = parseTargets([`${live[0]}/32`]);
    assert.ok(allowed.ok);
    const final = await runScanTask(
      { taskId: 'syn-scope', targets: [`${live[0]}-${live[1]}`], exclude: [], ports: '22', probes: [], ratePps: 5000, hostsInFlight: 8, probeTimeoutMs: 1000, osDetection: false },
      { agentId: 'lab', log: memoryLogger().logger, probes: [], mac: () => undefined, raw: counting, allowed: allowed.set },
      { evidence: () => undefined, progress: () => undefined },
      new AbortController().signal,
    );
    assert.equal(final.state, 'refused');
    assert.match(final.message, /outside the scope/);
    assert.equal(sent, 0);
  });
});

describe('port scan with and without CAP_NET_RAW', { skip }, () => {
  it('SYN-scans with raw sockets and falls back to TCP connect without, finding the same ports', async () => {
    const server = net.createServer((c) => c.destroy());
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, () => resolve()));
    const open = (server.address() as net.AddressInfo).port;
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const closed = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    assertSafeTarget('127.0.0.1');
    const child = join(REPO, 'test/integration/scan/scan-child.ts');
    try {
      const scan = async (withRaw: boolean) => {
        const argv = [process.execPath, '--import', 'tsx', child, '127.0.0.1', `${open},${closed}`];
        const { stdout } = withRaw
          ? await run(argv[0]!, argv.slice(1), { cwd: REPO })
          : await run('setpriv', ['--bounding-set', '-net_raw', ...argv], { cwd: REPO });
        return JSON.parse(stdout.trim().split('\n').at(-1)!) as { raw: boolean; state: string; evidence: Array<{ probe: string; ip: string; port: number; facts: Record<string, string> }> };
      };
      const [withRaw, without] = [await scan(true), await scan(false)];
      assert.deepEqual({ raw: withRaw.raw, state: withRaw.state }, { raw: true, state: 'done' });
      assert.deepEqual({ raw: without.raw, state: without.state }, { raw: false, state: 'done' });
      assert.deepEqual(withRaw.evidence, [{ probe: 'syn', ip: '127.0.0.1', port: open, facts: { 'port.state': 'open' } }]);
      // The same evidence, named for how it was found.
      assert.deepEqual(without.evidence, [{ probe: 'connect', ip: '127.0.0.1', port: open, facts: { 'port.state': 'open' } }]);
    } finally {
      server.close();
    }
  });
});

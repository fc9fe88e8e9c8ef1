// The OS probe and `sextant os-scan` end to end over real raw sockets: a
// namespace target through the CLI, this host's loopback against Nmap, many
// hosts at once over the shared sockets, and a process without CAP_NET_RAW.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { computeOsFingerprint, formatSubjectFingerprint, subjectValue } from '../../../collector/fingerprint/os/index.ts';
import { osEvidenceOf, readCaptured } from '../../../agent/net/index.ts';
import { osProbe } from '../../../agent/probes/os.ts';
import { assertSafeTarget, createLab, labUnavailableReason, startTcpListener } from '../../helpers/netlab.ts';
import { fingerprintDiff, guessesOf, nmapOs, nmapUnavailableReason, sextantInProcess, sextantScanOf, TIMING_DEPENDENT } from './support.ts';

const run = promisify(execFile);
const labSkip = labUnavailableReason();
const nmapSkip = labSkip ?? nmapUnavailableReason();

async function listenOnLoopback(): Promise<{ server: net.Server; open: number; closed: number }> {
  const server = net.createServer((c) => c.destroy());
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve()));
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const closed = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return { server, open: (server.address() as net.AddressInfo).port, closed };
}

describe('OS detection over raw sockets', () => {
  it('os-scan prints the OS details, device type, running, OS CPE and subject print Nmap prints, and os-match agrees with Nmap on its print', async (t) => {
    if (nmapSkip) return t.skip(nmapSkip);
    // Timestamps without random offsets: this kernel then matches "Linux 5.3 - 5.4" perfectly.
    const lab = await createLab({ sysctls: { 'net.ipv4.tcp_timestamps': 2 } });
    try {
      await startTcpListener(lab, 80);
      assertSafeTarget(lab.address);
      const out = await sextantInProcess(['os-scan', lab.address, '--open-port', '80', '--closed-port', '1']);
      const lines = out.trimEnd().split('\n');
      assert.equal(lines[0], `Sextant OS scan report for ${lab.address}`);
      assert.ok(lines.includes('Device type: general purpose'), out);
      assert.ok(lines.includes('Running: Linux 5.X'), out);
      assert.ok(lines.includes('OS CPE: cpe:/o:linux:linux_kernel:5'), out);
      assert.ok(lines.includes('OS details: Linux 5.3 - 5.4'), out);
      const fpStart = lines.indexOf('TCP/IP fingerprint:');
      assert.ok(fpStart > 0);
      assert.match(lines[fpStart + 1] ?? '', /^OS:SCAN\(V=7\.93%E=4%D=\d+\/\d+%OT=80%CT=1%CU=\d+%PV=N%DS=1%DC=D%G=Y%M=[0-9A-F]{6}%/);
      assert.ok(lines.slice(fpStart + 1).filter((l) => l.startsWith('OS:')).every((l, i, all) => l.length === 75 || i === all.length - 1));
      assert.equal(lines.at(-1), 'Network Distance: 1 hop');

      const nmap = (await nmapOs([lab.address], 80, 1, { extra: ['--max-os-tries', '1'] })).get(lab.address);
      assert.ok(nmap?.fingerprint);
      const matched = (await sextantInProcess(['os-match', '--os-db', '/usr/share/nmap/nmap-os-db', '-'], nmap.fingerprint)).split('\n');
      assert.deepEqual(guessesOf(matched), nmap.guesses);
    } finally {
      await lab.teardown();
    }
  });

  it('fingerprints this host over loopback as Nmap does, distance 0 found locally', async (t) => {
    if (nmapSkip) return t.skip(nmapSkip);
    const { server, open, closed } = await listenOnLoopback();
    try {
      const nmap = (await nmapOs(['127.0.0.1'], open, closed, { extra: ['--max-os-tries', '1'] })).get('127.0.0.1');
      assert.ok(nmap?.fingerprint);
      const closedUdp = Number(/CU=(\d+)/.exec(nmap.fingerprint)?.[1]);
      const ours = await sextantScanOf('127.0.0.1', { openTcpPort: open, closedTcpPort: closed, closedUdpPort: closedUdp, maxTries: 1 });
      assert.match(ours.fingerprint, /%DS=0%DC=L%/);
      // Nmap's random closed UDP port is reused, so CU compares; loopback TCP timestamps are randomised too.
      const ignore = new Set(TIMING_DEPENDENT.filter((a) => a !== 'SCAN.CU'));
      if ((ours.timingRatio ?? 0) > 1.4 || (nmap.timingRatio ?? 0) > 1.4) ignore.add('SCAN.G');
      assert.deepEqual(fingerprintDiff(ours.fingerprint, nmap.fingerprint, ignore), [], `sextant:\n${ours.fingerprint}\nnmap:\n${nmap.fingerprint}`);
    } finally {
      server.close();
    }
  });

  it('probes 32 hosts at once over the shared raw sockets, each getting only its own replies and a complete print', async (t) => {
    if (labSkip) return t.skip(labSkip);
    const lab = await createLab({ anyIp: true, sysctls: { 'net.ipv4.icmp_ratelimit': 0, 'net.ipv4.icmp_msgs_burst': 10000, 'net.ipv4.icmp_msgs_per_sec': 10000 } });
    try {
      await startTcpListener(lab, 80);
      const hosts = lab.anyIpAddresses().slice(1, 33);
      for (const h of hosts) assertSafeTarget(h);
      const results = await Promise.all(hosts.map((ip) => osProbe.run({ ip, port: 80 }, { timeoutMs: 0, os: { closedTcpPort: 1, closedUdpPort: 33434 } })));
      results.forEach((result, i) => {
        assert.equal(result.status, 'success');
        const evidence = osEvidenceOf(result);
        assert.ok(evidence);
        assert.equal(evidence.directlyConnected, false, 'the AnyIP range is routed via the namespace');
        const round = evidence.rounds[0]!;
        for (const p of round.probes) {
          for (const r of p.replies) {
            const reply = readCaptured(Buffer.from(r.packet, 'base64'));
            const from = reply?.kind === 'icmp-error' ? reply.quoted.dst : reply?.ip.src;
            assert.equal(from, hosts[i]);
          }
        }
        const { fingerprint } = computeOsFingerprint(round);
        const text = formatSubjectFingerprint(fingerprint, { wrap: false });
        for (const test of ['SEQ', 'OPS', 'WIN']) assert.ok(fingerprint.tests.some((x) => x.name === test), `${hosts[i]}: ${test} missing\n${text}`);
        for (const test of ['ECN', 'T1', 'T4', 'T5', 'T6', 'T7', 'U1', 'IE']) assert.equal(subjectValue(fingerprint, test, 'R'), 'Y', `${hosts[i]} ${test}\n${text}`);
      });
    } finally {
      await lab.teardown();
    }
  });

  it('without CAP_NET_RAW, reports the OS probe as blocked and goes on with the next target', async (t) => {
    if (labSkip) return t.skip(labSkip);
    const child = fileURLToPath(new URL('./probe-child.ts', import.meta.url));
    // Dropping the capability from the bounding set takes it from root's permitted set on exec.
    const { stdout } = await run('setpriv', ['--bounding-set', '-net_raw', process.execPath, '--import', 'tsx', child, '80', '127.0.0.1', '127.0.0.2'], {
      env: { ...process.env, NODE_ENV: 'test' },
    });
    const lines = stdout.trim().split('\n');
    assert.equal(lines.at(-1), 'done');
    const results = lines.slice(0, -1).map((l) => JSON.parse(l) as { ip: string; status: string; error: string });
    assert.deepEqual(results.map((r) => [r.ip, r.status]), [['127.0.0.1', 'blocked'], ['127.0.0.2', 'blocked']]);
    assert.match(results[0]!.error, /CAP_NET_RAW/);
  });
});

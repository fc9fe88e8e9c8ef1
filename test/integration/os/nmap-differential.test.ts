// Sextant's OS probes and Nmap 7.93 against the same namespace target under
// several TCP/IP personalities (per-namespace sysctls): the subject prints
// must agree on every deterministic attribute, and os-match on the print Nmap
// wrote must reproduce Nmap's own guess list.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createLab, labUnavailableReason, startTcpListener } from '../../helpers/netlab.ts';
import { fingerprintDiff, guessesOf, nmapOs, nmapUnavailableReason, osDb, osMatchLines, sextantScanOf, TIMING_DEPENDENT } from './support.ts';

const OPEN = 80;
const CLOSED = 1;

/**
 * Compared: every attribute but the timing-dependent ones named in support.ts
 * (TIMING_DEPENDENT); SEQ.TS is compared when the personality turns the random
 * timestamp offsets off, and SCAN.CU because Nmap's random port is reused.
 * SCAN.G is left out only when either scanner's SEQ probes drifted past Nmap's
 * 1.4 timing ratio (a loaded machine): G then says "non-ideal" for that scanner
 * alone. The IP ID classes TI/CI/II are compared: Linux sends DF replies with
 * ID 0 and echo replies from one counter.
 */
const ALWAYS_DIFFERENT = TIMING_DEPENDENT.filter((a) => a !== 'SEQ.TS' && a !== 'SCAN.CU');

interface Personality {
  name: string;
  sysctls: Record<string, string | number>;
}

const PERSONALITIES: Personality[] = [
  { name: 'default Linux', sysctls: {} },
  { name: 'initial TTL 128', sysctls: { 'net.ipv4.ip_default_ttl': 128 } },
  { name: 'no TCP timestamps', sysctls: { 'net.ipv4.tcp_timestamps': 0 } },
  { name: 'timestamps without random offsets', sysctls: { 'net.ipv4.tcp_timestamps': 2 } },
  { name: 'no window scaling', sysctls: { 'net.ipv4.tcp_window_scaling': 0 } },
  { name: 'no SACK', sysctls: { 'net.ipv4.tcp_sack': 0 } },
  { name: 'no ECN', sysctls: { 'net.ipv4.tcp_ecn': 0 } },
  { name: 'small socket buffers', sysctls: { 'net.ipv4.tcp_rmem': '4096 8192 16384', 'net.ipv4.tcp_wmem': '4096 8192 16384' } },
  {
    name: 'TTL 255 without timestamps, SACK or window scaling',
    sysctls: { 'net.ipv4.ip_default_ttl': 255, 'net.ipv4.tcp_timestamps': 0, 'net.ipv4.tcp_sack': 0, 'net.ipv4.tcp_window_scaling': 0 },
  },
];

const skipReason = labUnavailableReason() ?? nmapUnavailableReason();

// Three labs at a time: each test mostly waits on probe timeouts.
describe('Sextant against Nmap 7.93 on a namespace target', { concurrency: 3 }, () => {
  before(() => {
    if (!skipReason) osDb();
  });

  for (const personality of PERSONALITIES) {
    it(`under "${personality.name}", the subject print equals Nmap's on every deterministic test and os-match returns Nmap's guesses`, async (t) => {
      if (skipReason) return t.skip(skipReason);
      const lab = await createLab({ sysctls: personality.sysctls });
      try {
        await startTcpListener(lab, OPEN);
        // One try each: with more, Nmap prints a merge of its rounds but lists the guesses of its best round.
        const nmap = (await nmapOs([lab.address], OPEN, CLOSED, { extra: ['--max-os-tries', '1'] })).get(lab.address);
        assert.ok(nmap?.fingerprint, 'nmap printed a fingerprint');
        const closedUdp = /CU=(\d+)/.exec(nmap.fingerprint)?.[1];
        assert.ok(closedUdp);
        // Nmap's random closed UDP port is reused so that SCAN.CU compares too.
        const ours = await sextantScanOf(lab.address, { openTcpPort: OPEN, closedTcpPort: CLOSED, closedUdpPort: Number(closedUdp), maxTries: 1 });
        const randomTimestamps = personality.sysctls['net.ipv4.tcp_timestamps'] === undefined;
        const drifted = (ours.timingRatio ?? 0) > 1.4 || (nmap.timingRatio ?? 0) > 1.4;
        const ignore = new Set([...ALWAYS_DIFFERENT, ...(randomTimestamps ? ['SEQ.TS'] : []), ...(drifted ? ['SCAN.G'] : [])]);
        assert.deepEqual(fingerprintDiff(ours.fingerprint, nmap.fingerprint, ignore), [], `sextant:\n${ours.fingerprint}\nnmap:\n${nmap.fingerprint}`);
        assert.deepEqual(guessesOf(osMatchLines(nmap.fingerprint)), nmap.guesses);
        // Our own guesses come from our own print, whose SP and ISR differ: only that there are some is certain.
        assert.ok(guessesOf(ours.lines).length > 0, ours.lines.join('\n'));
      } finally {
        await lab.teardown();
      }
    });
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bigintToIp, buildTaskScope, ipToBigint, parsePorts, parseTargets, topPortsFromServices } from '../../../agent/index.ts';

const SERVICES = [
  '# Fields in this file are: Service name, portnum/protocol, open-frequency, optional comments',
  'tcpmux\t1/tcp\t0.001995\t# TCP Port Service Multiplexer [rfc-1078]',
  'ssh\t22/tcp\t0.182286\t# Secure Shell Login',
  'domain\t53/udp\t0.213496\t# Domain Name Server',
  'http\t80/tcp\t0.484143\t# World Wide Web HTTP',
  'telnet\t23/tcp\t0.221265',
  'https\t443/tcp\t0.208669\t# secure http (SSL)',
  'smtp\t25/tcp\t0.131314\t# Simple Mail Transfer',
  '',
].join('\n');
const top = (n: number) => topPortsFromServices(SERVICES, n);

describe('port specifications', () => {
  it('reads lists, ranges and top-N into sorted unique ports', () => {
    assert.deepEqual(parsePorts('443,22,80,22', top), { ok: true, ports: [22, 80, 443] });
    assert.deepEqual(parsePorts('1-5,3', top), { ok: true, ports: [1, 2, 3, 4, 5] });
    assert.deepEqual(parsePorts('top-3', top), { ok: true, ports: [23, 80, 443] });
    assert.deepEqual(parsePorts('T:8080, top-1', top), { ok: true, ports: [80, 8080] });
    assert.deepEqual(parsePorts('65530-', top), { ok: true, ports: [65530, 65531, 65532, 65533, 65534, 65535] });
  });

  it('orders top ports by Nmap frequency and skips UDP entries', () => {
    assert.deepEqual(topPortsFromServices(SERVICES, 10), [80, 23, 443, 22, 25, 1]);
  });

  it('refuses out-of-range ports, backward ranges and garbage with the offending part named', () => {
    for (const bad of ['0', '65536', '80-20', 'http', '', ',', '1,,2', 'top-0', '22;rm -rf /']) {
      const r = parsePorts(bad, top);
      assert.equal(r.ok, false, bad);
    }
    const r = parsePorts('22,abc', top);
    assert.ok(!r.ok && r.error.includes('abc'));
  });

  it('never throws and only yields ports 1-65535 on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => {
      const r = parsePorts(s, top);
      if (r.ok) assert.ok(r.ports.every((p, i) => Number.isInteger(p) && p >= 1 && p <= 65535 && (i === 0 || p > r.ports[i - 1]!)));
    }), { numRuns: 500 });
  });

  it('gives back exactly the ports of any list it is given', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 40 }), (ports) => {
      const r = parsePorts(ports.join(','), top);
      assert.deepEqual(r, { ok: true, ports: [...ports].sort((a, b) => a - b) });
    }));
  });

  it('reads Nmap\'s real nmap-services top-100 when it is installed', (t) => {
    let r;
    try {
      r = parsePorts('top-100');
    } catch {
      return t.skip('nmap-services not installed');
    }
    if (!r.ok) return t.skip(r.error);
    assert.equal(r.ports.length, 100);
    for (const p of [21, 22, 23, 25, 80, 443, 3389]) assert.ok(r.ports.includes(p), String(p));
  });
});

describe('target specifications', () => {
  it('reads addresses, CIDRs, dash ranges and Nmap\'s short ranges', () => {
    const r = parseTargets(['198.18.0.1', '198.18.1.0/30', '198.18.2.250-198.18.3.1', '198.18.4.1-3']);
    assert.ok(r.ok);
    assert.deepEqual([...r.set.hosts()], [
      '198.18.0.1', '198.18.1.0', '198.18.1.1', '198.18.1.2', '198.18.1.3',
      '198.18.2.250', '198.18.2.251', '198.18.2.252', '198.18.2.253', '198.18.2.254', '198.18.2.255', '198.18.3.0', '198.18.3.1',
      '198.18.4.1', '198.18.4.2', '198.18.4.3',
    ]);
  });

  it('merges overlaps and subtracts exclusions', () => {
    const r = parseTargets(['198.18.0.0/29', '198.18.0.4-198.18.0.9']);
    const ex = parseTargets(['198.18.0.2-198.18.0.7']);
    assert.ok(r.ok && ex.ok);
    assert.equal(r.set.size, 10n);
    assert.deepEqual([...r.set.minus(ex.set).hosts()], ['198.18.0.0', '198.18.0.1', '198.18.0.8', '198.18.0.9']);
  });

  it('reads IPv6 literals and small prefixes', () => {
    const r = parseTargets(['::1', 'fd00::/126']);
    assert.ok(r.ok);
    assert.deepEqual([...r.set.hosts()], ['::1', 'fd00::', 'fd00::1', 'fd00::2', 'fd00::3']);
    assert.ok(r.set.contains('0:0:0:0:0:0:0:1'));
  });

  it('refuses names (no resolver query), bad prefixes, backward ranges and oversize sets', () => {
    for (const bad of [['localhost'], ['example.com'], ['198.18.0.0/33'], ['198.18.0.9-198.18.0.1'], ['1.2.3'], ['01.2.3.4'], ['::1-198.18.0.1']]) {
      assert.equal(parseTargets(bad).ok, false, bad.join());
    }
    assert.equal(parseTargets(['0.0.0.0/0']).ok, false);
  });

  it('round-trips every IPv4 and IPv6 address through its number', () => {
    fc.assert(fc.property(fc.ipV4(), (ip) => {
      const n = ipToBigint(ip);
      assert.ok(n);
      assert.equal(bigintToIp(4, n.value), ip);
    }));
    fc.assert(fc.property(fc.ipV6(), (ip) => {
      const n = ipToBigint(ip);
      assert.ok(n, ip);
      assert.equal(ipToBigint(bigintToIp(6, n.value))?.value, n.value);
    }));
  });

  it('never throws on arbitrary input, and whatever it accepts contains what it enumerates', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.ipV4().map((ip) => `${ip}/${30 + (ip.length % 3)}`)), { maxLength: 4 }), (specs) => {
      const r = parseTargets(specs);
      if (!r.ok || r.set.size > 64n) return;
      for (const ip of r.set.hosts()) assert.ok(r.set.contains(ip));
    }), { numRuns: 500 });
  });

  it('a CIDR holds exactly the addresses its prefix covers', () => {
    fc.assert(fc.property(fc.ipV4(), fc.integer({ min: 24, max: 32 }), (ip, bits) => {
      const r = parseTargets([`${ip}/${bits}`]);
      assert.ok(r.ok);
      assert.equal(r.set.size, 1n << BigInt(32 - bits));
      assert.ok(r.set.contains(ip));
    }));
  });
});

describe('task scope', () => {
  it('refuses addresses outside the targets and inside the exclusions', () => {
    const r = buildTaskScope({ targets: ['198.18.5.0/29'], exclude: ['198.18.5.3'], ports: '22' }, top);
    assert.ok(r.ok);
    r.scope.checkTarget('198.18.5.1');
    assert.throws(() => r.scope.checkTarget('198.18.5.3'), /outside/);
    assert.throws(() => r.scope.checkTarget('198.18.5.9'), /outside/);
    assert.throws(() => r.scope.checkTarget('127.0.0.1'), /outside/);
  });

  it('refuses a whole task that reaches beyond the agent\'s allowed scope', () => {
    const allowed = parseTargets(['198.18.5.0/24']);
    assert.ok(allowed.ok);
    const r = buildTaskScope({ targets: ['198.18.5.0/23'], ports: '22', allowed: allowed.set }, top);
    assert.ok(!r.ok && /outside the scope/.test(r.error));
    assert.ok(buildTaskScope({ targets: ['198.18.5.7'], ports: '22', allowed: allowed.set }, top).ok);
  });

  it('refuses a task without targets', () => {
    const r = buildTaskScope({ targets: [], ports: '22' }, top);
    assert.ok(!r.ok && /at least one target/.test(r.error));
  });
});

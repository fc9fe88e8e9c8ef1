// Network-namespace labs for integration tests and benchmarks, and the one
// guard every packet-sending test calls (/work/shared/docs/network-safety.md):
// the test range is blackholed first, each lab gets a veth pair and a per-run
// /30 in 198.18.0.0/16, optionally a whole /24 of 198.19.0.0/16 answering
// inside it (AnyIP), its own sysctls, and a teardown that waits until the
// namespace is really gone.
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const TEST_RANGE = '198.18.0.0/15';
/** Host-side interfaces of the labs this process created and has not torn down. */
const labInterfaces = new Set<string>();
const liveLabs = new Set<Lab>();
let counter = 0;
let labSerial = 0;
/** /30 slots and AnyIP ranges held by labs of this process (concurrent createLab calls must not share one). */
const slotsInUse = new Set<number>();
const anyIpInUse = new Set<number>();

const loopback4 = new BlockList();
loopback4.addSubnet('127.0.0.0', 8, 'ipv4');
// Separate lists: one BlockList would also match IPv4-mapped forms such as ::ffff:127.0.0.1.
const loopback6 = new BlockList();
loopback6.addAddress('::1', 'ipv6');
const testRange = new BlockList();
testRange.addSubnet('198.18.0.0', 15, 'ipv4');

function ipArgs(args: string[], netns?: string): string[] {
  return netns ? ['netns', 'exec', netns, 'ip', ...args] : args;
}

function ipFailure(argv: string[], err: unknown): Error {
  const stderr = String((err as { stderr?: string }).stderr ?? '');
  return new Error(`ip ${argv.join(' ')} failed: ${stderr.trim() || (err as Error).message}`, { cause: err });
}

/** `ip …`, blocking: only for the guard, which must answer synchronously. */
function ipSync(args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return '';
  }
}

/**
 * `ip …` without blocking the event loop: a scan running in the same process
 * (its 100 ms SEQ spacing) must not wait while another test builds its lab.
 */
async function ip(args: string[], options: { netns?: string; allowFailure?: boolean } = {}): Promise<string> {
  const argv = ipArgs(args, options.netns);
  try {
    return (await execFileAsync('ip', argv, { encoding: 'utf8' })).stdout;
  } catch (err) {
    if (options.allowFailure) return '';
    throw ipFailure(argv, err);
  }
}

/**
 * Throws unless `addr` may receive test packets: 127/8, ::1, or a 198.18/15
 * address whose route (`ip -o route get`) leads into an interface a lab of
 * this process created. Call it for every target before anything is sent.
 */
export function assertSafeTarget(addr: string): void {
  if (isIPv4(addr) && loopback4.check(addr, 'ipv4')) return;
  if (isIPv6(addr) && loopback6.check(addr, 'ipv6')) return;
  if (!isIPv4(addr) || !testRange.check(addr, 'ipv4')) {
    throw new Error(`unsafe target ${addr}: tests send only to 127/8, ::1 and lab addresses in ${TEST_RANGE}`);
  }
  const route = ipSync(['-o', 'route', 'get', addr]).trim();
  const dev = /\bdev (\S+)/.exec(route)?.[1];
  if (!route || /^(blackhole|unreachable|prohibit|local)\b/.test(route) || !dev || !labInterfaces.has(dev)) {
    throw new Error(`unsafe target ${addr}: its route "${route || 'none'}" does not lead into a lab interface`);
  }
}

/** Why labs cannot run here, or undefined when they can (root and iproute2 with netns). */
export function labUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'network-namespace labs need root';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return 'network-namespace labs need iproute2 (`ip netns`)';
  }
  return undefined;
}

export interface LabOptions {
  /** Sysctls set inside the namespace, e.g. `{'net.ipv4.ip_default_ttl': 128}`. */
  sysctls?: Record<string, string | number>;
  /** Make a whole /24 answer inside the namespace (a local route on lo) and route it via the veth. */
  anyIp?: boolean;
}

export interface Lab {
  /** Namespace name. */
  readonly name: string;
  /** Our end of the veth pair (root namespace) and its address. */
  readonly hostInterface: string;
  readonly hostAddress: string;
  /** The namespace's end and its address: the target. */
  readonly nsInterface: string;
  readonly address: string;
  /** With `anyIp`: the /24 that answers inside the namespace, e.g. `198.19.7.0/24`. */
  readonly anyIpRange?: string;
  /** The 256 addresses of the AnyIP range (empty without one). */
  anyIpAddresses(): string[];
  /** Sets sysctls inside the namespace. */
  sysctl(values: Record<string, string | number>): Promise<void>;
  /** Runs a command inside the namespace to completion; resolves with its standard output. */
  run(command: string, args: string[], options?: { timeoutMs?: number }): Promise<string>;
  /** The same, blocking the event loop meanwhile (never while a scan runs in this process). */
  exec(command: string, args: string[], options?: { input?: string; timeoutMs?: number }): string;
  /** Starts a long-running command inside the namespace; teardown stops it. */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Stops what was started inside, deletes the namespace and waits until it and its veth are gone. */
  teardown(): Promise<void>;
}

/** The /30 numbered `slot` in 198.18.0.0/16: [network, host side, namespace side]. */
function linkAddresses(slot: number): [string, string, string] {
  const prefix = `198.18.${slot >> 6}.`;
  const low = (slot & 63) * 4;
  return [`${prefix}${low}`, `${prefix}${low + 1}`, `${prefix}${low + 2}`];
}

async function freeSlot(): Promise<{ slot: number; anyIp: number }> {
  // A per-run number spreads concurrent runs apart; a subnet already in use moves us on.
  for (let attempt = 0; attempt < 16384; attempt++) {
    const n = process.pid * 8 + counter++;
    const slot = n % 16384;
    const anyIp = n % 256;
    const [network, host] = linkAddresses(slot);
    const addressInUse = (await ip(['-o', 'addr', 'show', 'to', `${network}/30`], { allowFailure: true })).trim() !== '';
    const routed = (await ip(['-o', 'route', 'show', 'to', 'match', host], { allowFailure: true }))
      .split('\n')
      .some((l) => l !== '' && !/^(blackhole|default)\b/.test(l));
    const anyIpRouted = (await ip(['-o', 'route', 'show', `198.19.${anyIp}.0/24`], { allowFailure: true })).trim() !== '';
    if (slotsInUse.has(slot) || anyIpInUse.has(anyIp)) continue;
    if (!addressInUse && !routed && !anyIpRouted) {
      slotsInUse.add(slot);
      anyIpInUse.add(anyIp);
      return { slot, anyIp };
    }
  }
  throw new Error('no free lab subnet in 198.18.0.0/16');
}

/** Creates a namespace lab. The caller must `teardown()` it in a `finally`. */
export async function createLab(options: LabOptions = {}): Promise<Lab> {
  const reason = labUnavailableReason();
  if (reason) throw new Error(reason);
  // FIRST: nothing in the test range can leave the machine, whatever happens below.
  // Names are fixed before the first await: concurrent calls must never share one.
  const id = `${process.pid}x${++labSerial}`;
  await ip(['route', 'replace', 'blackhole', TEST_RANGE]);
  const { slot, anyIp } = await freeSlot();
  const name = `sx-${id}`;
  const hostInterface = `sx${id}h`.slice(0, 15);
  const nsInterface = `sx${id}t`.slice(0, 15);
  const [, hostAddress, address] = linkAddresses(slot);
  const anyIpRange = options.anyIp ? `198.19.${anyIp}.0/24` : undefined;
  const children = new Set<ChildProcess>();
  let removed = false;

  const lab: Lab = {
    name,
    hostInterface,
    hostAddress,
    nsInterface,
    address,
    anyIpRange,
    anyIpAddresses: () => (anyIpRange ? Array.from({ length: 256 }, (_, i) => anyIpRange.replace(/0\/24$/, String(i))) : []),
    async sysctl(values) {
      const pairs = Object.entries(values).map(([k, v]) => `${k}=${v}`);
      if (pairs.length > 0) await lab.run('sysctl', ['-qw', ...pairs]);
    },
    async run(command, args, opts = {}) {
      return (await execFileAsync('ip', ['netns', 'exec', name, command, ...args], { encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000 })).stdout;
    },
    exec(command, args, opts = {}) {
      return execFileSync('ip', ['netns', 'exec', name, command, ...args], {
        encoding: 'utf8',
        input: opts.input,
        timeout: opts.timeoutMs ?? 60_000,
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
    },
    spawn(command, args, opts = {}) {
      const child = spawn('ip', ['netns', 'exec', name, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    async teardown() {
      if (removed) return;
      removed = true;
      liveLabs.delete(lab);
      await Promise.all([...children].map((c) => stopChild(c)));
      // Anything else still running inside was started through this lab.
      for (const pid of (await ip(['netns', 'pids', name], { allowFailure: true })).split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await ip(['netns', 'del', name], { allowFailure: true });
      // Deletion finishes asynchronously in the kernel: wait until the veth and the namespace are gone.
      for (let i = 0; i < 200; i++) {
        const linkGone = (await ip(['-o', 'link', 'show', 'dev', hostInterface], { allowFailure: true })).trim() === '';
        if (linkGone && !existsSync(`/run/netns/${name}`)) break;
        await delay(50);
      }
      labInterfaces.delete(hostInterface);
      slotsInUse.delete(slot);
      anyIpInUse.delete(anyIp);
    },
  };
  liveLabs.add(lab);
  try {
    await ip(['netns', 'add', name]);
    await ip(['link', 'add', hostInterface, 'type', 'veth', 'peer', 'name', nsInterface]);
    await ip(['link', 'set', nsInterface, 'netns', name]);
    await ip(['addr', 'add', `${hostAddress}/30`, 'dev', hostInterface]);
    await ip(['link', 'set', hostInterface, 'up']);
    await ip(['addr', 'add', `${address}/30`, 'dev', nsInterface], { netns: name });
    await ip(['link', 'set', nsInterface, 'up'], { netns: name });
    await ip(['link', 'set', 'lo', 'up'], { netns: name });
    labInterfaces.add(hostInterface);
    await lab.sysctl(options.sysctls ?? {});
    if (anyIpRange) {
      await ip(['route', 'add', 'local', anyIpRange, 'dev', 'lo'], { netns: name });
      await ip(['route', 'add', anyIpRange, 'via', address, 'dev', hostInterface]);
    }
    assertSafeTarget(address);
  } catch (err) {
    await lab.teardown();
    throw err;
  }
  return lab;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts a TCP listener inside the lab on every address of the namespace
 * (the AnyIP range included) and resolves once it accepts connections. The
 * backlog is large so that probing many addresses at once never pushes the
 * kernel into SYN cookies, which would change the replies.
 */
export async function startTcpListener(lab: Lab, port: number): Promise<ChildProcess> {
  const script = `const s=require('net').createServer(c=>c.destroy());s.listen({port:${port},host:'0.0.0.0',backlog:65535},()=>console.log('listening'));`;
  const child = lab.spawn(process.execPath, ['-e', script]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`listener on port ${port} in ${lab.name} did not start`)), 10_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`listener in ${lab.name} exited with ${code}`));
    });
  });
  return child;
}

// A test that dies without its finally (an uncaught error, a signal from the
// test runner's timeout, Ctrl-C) still must not leave namespaces behind.
function removeLiveLabs(): void {
  for (const lab of liveLabs) {
    try {
      execFileSync('ip', ['netns', 'del', lab.name], { stdio: 'ignore' });
    } catch {
      // best effort
    }
  }
  liveLabs.clear();
}
process.once('exit', removeLiveLabs);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    removeLiveLabs();
    process.kill(process.pid, signal);
  });
}

// A site for the end-to-end test: the agent's namespace (a netlab lab, joined
// to the root namespace by its veth) holds a bridge; each host is a namespace
// of its own on that bridge, with a MAC of a chosen vendor and real Debian
// daemons (sshd, nginx, snmpd, vsftpd, exim4) bound to its address.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { assertSafeTarget, type Lab } from '../../helpers/netlab.ts';

export type Daemon = 'sshd' | 'nginx' | 'snmpd' | 'vsftpd' | 'exim4';

export interface HostSpec {
  mac: string;
  daemons: Daemon[];
}

export interface SiteHost {
  ns: string;
  ip: string;
  mac: string;
}

export interface Site {
  /** e.g. 198.19.7.0/28: the bridge's address and the hosts lie inside. */
  subnet: string;
  gateway: string;
  hosts: SiteHost[];
  teardown(): Promise<void>;
}

function ip(args: string[], allowFailure = false): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    if (allowFailure) return '';
    throw new Error(`ip ${args.join(' ')}: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`, { cause: err });
  }
}

/** A /24 of 198.19.0.0/16 nothing on this machine uses yet, spread by pid so concurrent runs differ. */
function freeSubnet(salt: number): number {
  for (let i = 0; i < 256; i++) {
    const n = (process.pid * 7 + salt * 31 + i + 128) % 256;
    const inUse = ip(['-o', 'route', 'show', 'to', 'match', `198.19.${n}.1`], true).split('\n').some((l) => l !== '' && !/^(blackhole|default)\b/.test(l))
      || ip(['-o', 'addr', 'show', 'to', `198.19.${n}.0/24`], true).trim() !== '';
    if (!inUse) return n;
  }
  throw new Error('no free /24 in 198.19.0.0/16');
}

const exe = (ns: string, args: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

function startDaemon(ns: string, addr: string, daemon: Daemon, dir: string): ChildProcess {
  const run = (cmd: string, args: string[]) => spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  switch (daemon) {
    case 'sshd':
      mkdirSync('/run/sshd', { recursive: true });
      if (!existsSync(join(dir, 'hostkey'))) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'hostkey')]);
      return run('/usr/sbin/sshd', ['-D', '-e', '-f', '/dev/null', '-o', `ListenAddress=${addr}`, '-o', `HostKey=${join(dir, 'hostkey')}`, '-o', 'PidFile=none', '-o', 'UsePAM=no']);
    case 'nginx': {
      const conf = join(dir, 'nginx.conf');
      const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir};`).join(' ');
      writeFileSync(conf, `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx.err;\nevents {}\nhttp { access_log off; ${temp}\n server { listen ${addr}:80; location / { return 200 "sextant lab\\n"; } } }\n`);
      return run('/usr/sbin/nginx', ['-c', conf]);
    }
    case 'snmpd': {
      const conf = join(dir, 'snmpd.conf');
      writeFileSync(conf, `agentaddress udp:${addr}:161\nrocommunity public default\nsysLocation sextant-lab\nsysContact root@lab\n`);
      return run('/usr/sbin/snmpd', ['-f', '-Lf', '/dev/null', '-C', '-c', conf, '-p', join(dir, 'snmpd.pid')]);
    }
    case 'vsftpd': {
      const conf = join(dir, 'vsftpd.conf');
      mkdirSync(join(dir, 'empty'), { recursive: true });
      writeFileSync(conf, `listen=YES\nlisten_ipv6=NO\nlisten_address=${addr}\nbackground=NO\nanonymous_enable=NO\nlocal_enable=YES\nsecure_chroot_dir=${dir}/empty\nseccomp_sandbox=NO\n`);
      return run('/usr/sbin/vsftpd', [conf]);
    }
    case 'exim4':
      return run('/usr/sbin/exim4', ['-bd', '-oX', `${addr}.25`, '-oP', join(dir, 'exim.pid')]);
  }
}

/** Builds the site inside `lab`; the caller must call teardown() (before the lab's own). */
export async function createSite(lab: Lab, salt: number, specs: HostSpec[]): Promise<Site> {
  const n = freeSubnet(salt);
  const subnet = `198.19.${n}.0/28`;
  const gateway = `198.19.${n}.1`;
  const hosts: SiteHost[] = [];
  const children: ChildProcess[] = [];
  const namespaces: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), `sx-site-${n}-`));
  let routeAdded = false;
  const teardown = async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await delay(300);
    for (const ns of namespaces) {
      for (const pid of ip(['netns', 'pids', ns], true).split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone already
        }
      }
      ip(['netns', 'del', ns], true);
    }
    if (routeAdded) ip(['route', 'del', subnet, 'via', lab.address], true);
    for (let i = 0; i < 100 && namespaces.some((ns) => existsSync(`/run/netns/${ns}`)); i++) await delay(50);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // The subnet is reached from the root namespace only through the lab's veth, so the lab guard applies to it.
    ip(['route', 'add', subnet, 'via', lab.address, 'dev', lab.hostInterface]);
    routeAdded = true;
    exe(lab.name, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    exe(lab.name, ['ip', 'addr', 'add', `${gateway}/28`, 'dev', 'br0']);
    exe(lab.name, ['ip', 'link', 'set', 'br0', 'up']);
    for (const [i, spec] of specs.entries()) {
      const ns = `${lab.name}-h${i}`;
      const addr = `198.19.${n}.${10 + i}`;
      const outer = `${lab.name.slice(3)}h${i}`.slice(0, 15);
      ip(['netns', 'add', ns]);
      namespaces.push(ns);
      exe(lab.name, ['ip', 'link', 'add', outer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      exe(lab.name, ['ip', 'link', 'set', outer, 'master', 'br0', 'up']);
      exe(ns, ['ip', 'link', 'set', 'eth0', 'address', spec.mac]);
      exe(ns, ['ip', 'addr', 'add', `${addr}/28`, 'dev', 'eth0']);
      exe(ns, ['ip', 'link', 'set', 'eth0', 'up']);
      exe(ns, ['ip', 'link', 'set', 'lo', 'up']);
      assertSafeTarget(addr);
      const hostDir = join(dir, `h${i}`);
      mkdirSync(hostDir, { recursive: true });
      for (const d of spec.daemons) children.push(startDaemon(ns, addr, d, hostDir));
      hosts.push({ ns, ip: addr, mac: spec.mac });
    }
    assertSafeTarget(gateway);
  } catch (err) {
    await teardown();
    throw err;
  }
  return { subnet, gateway, hosts, teardown };
}

// End to end in network namespaces: two sites, each with its own agent
// (started with `ip netns exec`) and hosts running real Debian daemons; the
// collector in the root namespace with the real pipeline, publishing to the
// machine's NATS (127.0.0.1:4222). Asserts assets, MACs and vendors, products
// and versions, and the NATS messages.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { openPipeline, startCollectorServer, type CollectorServer, type PipelineHandle } from '../../../collector/server/index.ts';
import { loadConfig } from '../../../shared/config.ts';
import { memoryLogger } from '../../../shared/logging.ts';
import { createLab, labUnavailableReason, type Lab } from '../../helpers/netlab.ts';
import { REPO, SHARED_RECOG_XML } from '../../helpers/recog.ts';
import { createSite, type Daemon, type Site } from './site-lab.ts';
import { waitFor } from './support.ts';

const TOKEN = `e2e-${process.pid}`;
const NEEDED: Record<Daemon, string> = { sshd: '/usr/sbin/sshd', nginx: '/usr/sbin/nginx', snmpd: '/usr/sbin/snmpd', vsftpd: '/usr/sbin/vsftpd', exim4: '/usr/sbin/exim4' };
const missing = Object.values(NEEDED).filter((p) => !existsSync(p));
const skip = labUnavailableReason() ?? (missing.length > 0 ? `missing daemons (deploy/setup.sh installs them): ${missing.join(', ')}` : undefined);

interface Service { address: string; transport: string; port: number; product?: string; version?: string; vendor?: string; protocol?: string; attributes: Record<string, string> }
interface Asset { id: string; site: string; addresses: string[]; macs: string[]; mac_vendors: string[]; os?: string; attributes: Record<string, string>; services: Service[] }

describe('two sites scanned by their own agents, end to end', { skip }, () => {
  const sites = { a: `e2e-a-${process.pid}`, b: `e2e-b-${process.pid}` };
  const labs: Lab[] = [];
  const siteLabs: Site[] = [];
  const agents: ChildProcess[] = [];
  const messages: Array<{ subject: string; body: { event: string; asset: Asset } }> = [];
  let dir = '';
  let server: CollectorServer | undefined;
  let pipeline: PipelineHandle | undefined;
  let nats: NatsConnection | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sx-e2e-'));
    const { logger } = memoryLogger('warn');
    nats = await connect({ servers: '127.0.0.1:4222' });
    nats.subscribe(`sextant.assets.${sites.a}.>`, { callback: (_e, m) => { messages.push({ subject: m.subject, body: m.json() }); } });
    nats.subscribe(`sextant.assets.${sites.b}.>`, { callback: (_e, m) => { messages.push({ subject: m.subject, body: m.json() }); } });
    await nats.flush();
    pipeline = await openPipeline({ db: join(dir, 'inventory.db'), natsUrl: 'nats://127.0.0.1:4222', log: logger, config: { ...loadConfig({}), recogDirs: [SHARED_RECOG_XML] } });
    server = await startCollectorServer({ listen: '0.0.0.0:0', token: TOKEN, pipeline, log: logger, heartbeatSeconds: 2 });

    const labA = await createLab();
    labs.push(labA);
    const labB = await createLab();
    labs.push(labB);
    siteLabs.push(await createSite(labA, 1, [
      { mac: '00:1b:21:5e:00:01', daemons: ['sshd', 'nginx', 'snmpd'] },
      { mac: '00:50:56:5e:00:02', daemons: ['vsftpd', 'exim4'] },
    ]));
    siteLabs.push(await createSite(labB, 2, [{ mac: '00:0c:29:5e:00:03', daemons: ['sshd', 'nginx'] }]));

    for (const [i, lab] of labs.entries()) {
      const site = i === 0 ? sites.a : sites.b;
      const child = spawn('ip', [
        // `sextant agent` as users start it: bin.js, which runs the agent from its esbuild bundle.
        'netns', 'exec', lab.name, process.execPath, join(REPO, 'shared/cli/bin.js'), 'agent',
        '--collector', `${lab.hostAddress}:${server.port}`, '--name', `agent-${i}`, '--site', site,
        '--spool', join(dir, `spool-${i}`), '--scope', siteLabs[i]!.subnet,
      ], { cwd: REPO, env: { ...process.env, SEXTANT_ENROL_TOKEN: TOKEN, SEXTANT_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
      child.once('exit', (code) => { if (code) process.stderr.write(`agent ${i} exited ${code}: ${stderr}\n`); });
      agents.push(child);
    }
    await waitFor(() => server!.agents().filter((a) => a.connected).length === 2, 30_000, 'both agents to connect');
    server.tasks.add({ site: sites.a, targets: [siteLabs[0]!.subnet], ports: '21,22,25,80,443', taskId: `t-a-${process.pid}` });
    server.tasks.add({ site: sites.b, targets: [siteLabs[1]!.subnet], ports: '21,22,25,80,443', taskId: `t-b-${process.pid}` });
    const done = (id: string) => [...(server!.tasks.get(id)?.agents.values() ?? [])].some((s) => s.state === 'done');
    await waitFor(() => done(`t-a-${process.pid}`) && done(`t-b-${process.pid}`), 120_000, 'both tasks to finish');
    // Evidence of the last batches may still be on its way once progress says done.
    await waitFor(async () => {
      const a = (await pipeline!.assets(sites.a)) as unknown as Asset[];
      return a.some((x) => x.services.some((s) => s.port === 25 && s.product));
    }, 30_000, 'the evidence of site a');
    await waitFor(() => messages.some((m) => m.subject.startsWith(`sextant.assets.${sites.b}.`)), 15_000, 'NATS messages of site b');
  });

  after(async () => {
    for (const a of agents) if (a.exitCode === null) a.kill('SIGTERM');
    await Promise.all(agents.map((a) => (a.exitCode === null ? new Promise((r) => a.once('exit', r)) : undefined)));
    for (const s of siteLabs) await s.teardown();
    for (const l of labs) await l.teardown();
    await server?.close();
    await pipeline?.close();
    await nats?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const assetAt = async (site: string, ip: string) => {
    const list = (await pipeline!.assets(site)) as unknown as Asset[];
    const asset = list.find((x) => x.addresses.includes(ip));
    assert.ok(asset, `${ip} is an asset of ${site}; assets: ${JSON.stringify(list.map((x) => x.addresses))}`);
    return asset;
  };
  const service = (asset: Asset, port: number, transport = 'tcp') => {
    const s = asset.services.find((x) => x.port === port && x.transport === transport);
    assert.ok(s, `${transport}/${port} on ${asset.addresses.join()}: ${JSON.stringify(asset.services.map((x) => [x.transport, x.port, x.product]))}`);
    return s;
  };

  it('identifies OpenSSH, its version and Debian from the SSH banner, with the MAC and its vendor', async () => {
    const host = siteLabs[0]!.hosts[0]!;
    const asset = await assetAt(sites.a, host.ip);
    assert.deepEqual(asset.macs, [host.mac]);
    assert.ok(asset.mac_vendors.some((v) => /intel/i.test(v)), JSON.stringify(asset.mac_vendors));
    const ssh = service(asset, 22);
    assert.equal(ssh.product, 'OpenSSH');
    assert.equal(ssh.version, '9.2p1');
    // The banner names the distribution; SNMP's sysDescr on the same host only says
    // Linux at the same certainty, and the more specific claim wins the tie.
    assert.match(ssh.attributes['fp.service.match'] ?? '', /Debian 12/);
    assert.match(`${asset.os}`, /Debian/);
    assert.equal(asset.attributes['fp.os.source'], 'recog:ssh.banner');
  });

  it('identifies nginx and its version, and the SNMP agent over UDP', async () => {
    const asset = await assetAt(sites.a, siteLabs[0]!.hosts[0]!.ip);
    const http = service(asset, 80);
    assert.match(`${http.product}`, /nginx/i);
    assert.equal(http.version, '1.22.1');
    const snmp = service(asset, 161, 'udp');
    assert.match(JSON.stringify(snmp), /Linux|net-snmp|snmp/i);
  });

  it('identifies vsftpd and Exim with their versions on the second host, a VMware MAC', async () => {
    const host = siteLabs[0]!.hosts[1]!;
    const asset = await assetAt(sites.a, host.ip);
    assert.deepEqual(asset.macs, [host.mac]);
    assert.ok(asset.mac_vendors.some((v) => /vmware/i.test(v)), JSON.stringify(asset.mac_vendors));
    const ftp = service(asset, 21);
    assert.match(`${ftp.product}`, /vsftpd/i);
    assert.equal(ftp.version, '3.0.3');
    const smtp = service(asset, 25);
    assert.match(`${smtp.product}`, /exim/i);
    assert.equal(smtp.version, '4.96');
  });

  it('found the ports by SYN scan: the agents run as root, so with raw sockets', () => {
    const db = new Database(join(dir, 'inventory.db'), { readonly: true });
    try {
      const rows = db.prepare("SELECT site, ip, port FROM evidence WHERE probe = 'syn' AND port IS NOT NULL ORDER BY site, ip, port").all() as Array<{ site: string; ip: string; port: number }>;
      const first = siteLabs[0]!.hosts[0]!.ip;
      assert.deepEqual(rows.filter((r) => r.ip === first).map((r) => r.port), [22, 80]);
      assert.ok(rows.some((r) => r.site === sites.b), 'site b\'s agent SYN-scanned too');
      assert.equal((db.prepare("SELECT count(*) AS n FROM evidence WHERE probe IN ('connect', 'tcp-connect')").get() as { n: number }).n, 0);
    } finally {
      db.close();
    }
  });

  it('keeps the sites apart: each agent saw only its own segment', async () => {
    const a = (await pipeline!.assets(sites.a)) as unknown as Asset[];
    const b = (await pipeline!.assets(sites.b)) as unknown as Asset[];
    const inA = new Set(a.flatMap((x) => x.addresses));
    const inB = new Set(b.flatMap((x) => x.addresses));
    for (const ip of inB) assert.ok(!inA.has(ip), ip);
    assert.ok(b.every((x) => x.addresses.every((ip) => ip.startsWith(siteLabs[1]!.subnet.replace(/\.0\/28$/, '.')))));
    const host = await assetAt(sites.b, siteLabs[1]!.hosts[0]!.ip);
    assert.equal(service(host, 22).product, 'OpenSSH');
    assert.deepEqual(host.macs, [siteLabs[1]!.hosts[0]!.mac]);
    // No SNMP here: the OS comes from the SSH banner alone.
    assert.match(`${host.os} ${host.attributes['fp.os.product']} ${host.attributes['fp.os.version'] ?? ''}`, /Debian/);
    assert.ok(host.mac_vendors.some((v) => /vmware/i.test(v)));
  });

  it('published every asset of both sites on NATS as JSON with the asset and its changes', async () => {
    const created = messages.filter((m) => m.subject.endsWith('.created'));
    for (const [site, hosts] of [[sites.a, siteLabs[0]!.hosts], [sites.b, siteLabs[1]!.hosts]] as const) {
      for (const h of hosts) {
        assert.ok(created.some((m) => m.subject === `sextant.assets.${site}.created` && m.body.asset.addresses.includes(h.ip)), `${site} ${h.ip} created`);
      }
    }
    const last = messages.filter((m) => m.body.asset.addresses.includes(siteLabs[0]!.hosts[0]!.ip)).at(-1);
    assert.ok(last?.body.asset.services.some((s) => s.product === 'OpenSSH'));
  });
});

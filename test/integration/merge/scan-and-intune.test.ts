// End to end: an agent in a network namespace scans a host (real sshd, a Dell
// Intel MAC) through a real collector, then `sextant import --source intune`
// sends an Intune export to the same collector's admin endpoint. The laptop is
// one asset with both sources, Intune's OS claim, the keys and the merge log
// (`sextant asset explain`), and NATS carried the update with the differences.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { openPipeline, startAdminServer, startCollectorServer, type AdminServer, type CollectorServer, type PipelineHandle } from '../../../collector/server/index.ts';
import { loadConfig } from '../../../shared/config.ts';
import { memoryLogger } from '../../../shared/logging.ts';
import { createLab, labUnavailableReason, type Lab } from '../../helpers/netlab.ts';
import { REPO, SHARED_RECOG_XML } from '../../helpers/recog.ts';
import { createSite, type Site } from '../pipeline/site-lab.ts';
import { waitFor } from '../pipeline/support.ts';

const TOKEN = `merge-e2e-${process.pid}`;
const skip = labUnavailableReason() ?? (existsSync('/usr/sbin/sshd') ? undefined : 'sshd missing (deploy/setup.sh installs it)');
// The fixture's Intune laptop reports this Wi-Fi MAC.
const LAPTOP_MAC = '00:1b:21:5e:00:01';

/** The real launcher as a child process; asynchronous, because the collector it talks to runs in this process. */
function sextant(args: string[], options: { env: NodeJS.ProcessEnv }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO, 'shared/cli/bin.js'), ...args], { cwd: REPO, env: { ...process.env, SEXTANT_LOG_LEVEL: 'warn', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

interface View { id: string; site: string; addresses: string[]; macs: string[]; sources?: string[]; os?: string; attributes: Record<string, string>; services: Array<{ port: number; product?: string }> }

describe('scan evidence and an Intune export become one asset through a real collector', { skip }, () => {
  const site = `mrg-${process.pid}`;
  let dir = '';
  let lab: Lab | undefined;
  let siteLab: Site | undefined;
  let agent: ChildProcess | undefined;
  let server: CollectorServer | undefined;
  let admin: AdminServer | undefined;
  let pipeline: PipelineHandle | undefined;
  let nats: NatsConnection | undefined;
  const messages: Array<{ subject: string; body: { event: string; asset: View; changes: Array<{ field: string; before?: unknown; after?: unknown }> } }> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sx-merge-e2e-'));
    const { logger } = memoryLogger('warn');
    nats = await connect({ servers: '127.0.0.1:4222' });
    nats.subscribe(`sextant.assets.${site}.>`, { callback: (_e, m) => { messages.push({ subject: m.subject, body: m.json() }); } });
    await nats.flush();
    pipeline = await openPipeline({ db: join(dir, 'inventory.db'), natsUrl: 'nats://127.0.0.1:4222', log: logger, config: { ...loadConfig({}), recogDirs: [SHARED_RECOG_XML] } });
    server = await startCollectorServer({ listen: '0.0.0.0:0', token: TOKEN, pipeline, log: logger, heartbeatSeconds: 2 });
    admin = await startAdminServer('127.0.0.1:0', TOKEN, server, logger, pipeline);
    lab = await createLab();
    siteLab = await createSite(lab, 3, [{ mac: LAPTOP_MAC, daemons: ['sshd'] }]);
    agent = spawn('ip', [
      // `sextant agent` as users start it (bin.js).
      'netns', 'exec', lab.name, process.execPath, join(REPO, 'shared/cli/bin.js'), 'agent',
      '--collector', `${lab.hostAddress}:${server.port}`, '--name', 'agent-m', '--site', site, '--spool', join(dir, 'spool'), '--scope', siteLab.subnet,
    ], { cwd: REPO, env: { ...process.env, SEXTANT_ENROL_TOKEN: TOKEN, SEXTANT_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
    await waitFor(() => server!.agents().some((a) => a.connected), 30_000, 'the agent to connect');
    const taskId = `t-m-${process.pid}`;
    server.tasks.add({ site, targets: [siteLab.subnet], ports: '22', taskId });
    await waitFor(() => [...(server!.tasks.get(taskId)?.agents.values() ?? [])].some((s) => s.state === 'done'), 120_000, 'the task to finish');
    await waitFor(async () => ((await pipeline!.assets(site)) as unknown as View[]).some((a) => a.macs.includes(LAPTOP_MAC) && a.services.some((s) => s.port === 22 && s.product)), 30_000, 'the scanned laptop');
  });

  after(async () => {
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await new Promise((r) => agent!.once('exit', r));
    }
    await siteLab?.teardown();
    await lab?.teardown();
    await admin?.close();
    await server?.close();
    await pipeline?.close();
    await nats?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('joins the Intune device to the scanned laptop by its MAC, and explains why', async () => {
    const before = ((await pipeline!.assets(site)) as unknown as View[]).find((a) => a.macs.includes(LAPTOP_MAC))!;
    assert.deepEqual(before.sources, ['sextant']);
    const url = `http://127.0.0.1:${admin!.port}`;
    const env = { SEXTANT_ENROL_TOKEN: TOKEN };
    const fixture = join(REPO, 'test/fixtures/merge/intune-managed-devices.json');
    const first = await sextant(['import', '--source', 'intune', fixture, '--collector', url], { env });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /2 intune devices; 2 new, 0 already known/);

    const all = (await pipeline!.assets()) as unknown as View[];
    const laptop = all.find((a) => a.id === before.id)!;
    assert.deepEqual(laptop.sources, ['sextant', 'intune']);
    assert.equal(laptop.site, site);
    assert.equal(laptop.attributes['fp.os.source'], 'Intune');
    assert.equal(laptop.os, 'Microsoft Windows');
    assert.equal(laptop.attributes['fp.hw.product'], 'Latitude 7440');
    assert.ok(laptop.services.some((s) => s.port === 22 && s.product === 'OpenSSH'), 'the scan evidence is still there');
    // The iPhone has nothing in common with anything scanned: an asset of its own.
    assert.equal(all.filter((a) => (a.sources ?? []).includes('intune')).length, 2);

    const explained = await sextant(['asset', 'explain', laptop.id, '--collector', url], { env });
    assert.equal(explained.status, 0, explained.stderr);
    assert.match(explained.stdout, /sources: sextant, intune/);
    assert.match(explained.stdout, /ssh_hostkey SHA256:\S+ {2}from sextant/);
    assert.match(explained.stdout, /serial 7XK2Q93 {2}from intune/);
    assert.match(explained.stdout, new RegExp(`merged by mac ${LAPTOP_MAC} \\[intune\\]`));

    await waitFor(() => messages.some((m) => m.body.event === 'updated' && m.body.asset.id === laptop.id && (m.body.asset.sources ?? []).includes('intune')), 15_000, 'the updated event');
    const update = messages.filter((m) => m.body.asset.id === laptop.id && m.body.event === 'updated').at(-1)!;
    assert.equal(update.subject, `sextant.assets.${site}.updated`);
    assert.ok(update.body.changes.some((c) => c.field === 'sources' && JSON.stringify(c.after) === JSON.stringify(['intune', 'sextant'])), JSON.stringify(update.body.changes));
    assert.ok(update.body.changes.some((c) => c.field === 'fp.os.source' && c.after === 'Intune'));

    const again = await sextant(['import', '--source', 'intune', fixture, '--collector', url], { env });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /nothing changed \(already imported\)/);
  });
});

// Builders shared by the collector tests: evidence records, batches, the Recog
// engine (loaded once per test file: it takes seconds) and temp SQLite files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRecogEngine, type RecogEngine } from '../../../collector/fingerprint/index.ts';
import type { Evidence, Target } from '../../../shared/types.ts';
import { REPO, SHARED_RECOG_XML } from '../../helpers/recog.ts';

export const SITE = 'lab';
export const AGENT = 'agent-1';
export const T0 = '2024-05-01T12:00:00.000Z';
export const OUI_FILE = '/usr/share/ieee-data/oui.csv';

let engine: RecogEngine | undefined;
export function recogEngine(): RecogEngine {
  engine ??= createRecogEngine({ builtinDirs: [join(REPO, 'fingerprints'), SHARED_RECOG_XML] });
  return engine;
}

let counter = 0;
export function record(target: Target, probe: string, facts: Record<string, string>, extra: Partial<Evidence> = {}): Evidence {
  counter++;
  return { id: `ev-${process.pid}-${counter}`, agentId: AGENT, site: SITE, target, probe, observedAt: T0, facts, ...extra };
}

export function batch(records: Evidence[], batchId = `batch-${process.pid}-${++counter}`) {
  return { batchId, agentId: AGENT, site: SITE, records };
}

/** A realistic Debian 12 web server: ARP, SSH, nginx, SNMP. */
export function debianWebServer(ip: string, mac: string, observedAt = T0): Evidence[] {
  return [
    record({ ip, transport: 'arp' }, 'arp', { 'mac.address': mac }, { observedAt }),
    record({ ip, port: 22, transport: 'tcp' }, 'ssh', { 'ssh.banner': 'OpenSSH_9.2p1 Debian-2+deb12u3' }, { observedAt }),
    record({ ip, port: 80, transport: 'tcp' }, 'http', { 'http_header.server': 'nginx/1.22.1', 'http.status': '200' }, { observedAt }),
    record({ ip, port: 161, transport: 'udp' }, 'snmp', {
      'snmp.sys_description': 'Linux web01 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64',
      'snmp.sys_name': 'web01',
    }, { observedAt }),
  ];
}

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sextant-collector-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

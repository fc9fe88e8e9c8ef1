// Synthetic evidence for bench:ingest, shared by the in-process path and the
// synthetic gRPC agents (bench/ingest-agents.ts). Deterministic: two runs, and
// the parent and its agents' child process, produce the same records.
import type { Evidence } from '../shared/types.ts';

export const SERVICES: Array<{ key: string; probe: string; port: number; transport: 'tcp' | 'udp' }> = [
  { key: 'ssh.banner', probe: 'ssh', port: 22, transport: 'tcp' },
  { key: 'http_header.server', probe: 'http', port: 80, transport: 'tcp' },
  { key: 'snmp.sys_description', probe: 'snmp', port: 161, transport: 'udp' },
  { key: 'ftp.banner', probe: 'ftp', port: 21, transport: 'tcp' },
  { key: 'smtp.banner', probe: 'smtp', port: 25, transport: 'tcp' },
  { key: 'telnet_banners', probe: 'telnet', port: 23, transport: 'tcp' },
  { key: 'mysql.banners', probe: 'mysql', port: 3306, transport: 'tcp' },
  { key: 'redis.info', probe: 'redis', port: 6379, transport: 'tcp' },
  { key: 'nats.info', probe: 'nats', port: 4222, transport: 'tcp' },
  { key: 'html_title', probe: 'http', port: 8080, transport: 'tcp' },
];

const OUI_PREFIXES = ['dca632', '001a11', '00163e', '3c5282', 'f4ce46', '001b21', '00505a', 'b827eb', '000c29', '8c8590'];

export interface BenchBatch {
  batchId: string;
  agentId: string;
  site: string;
  records: Evidence[];
}

/** examples: Recog database key -> <example> inputs (only keys with inputs). */
export function createGenerator(examples: Map<string, string[]>, hosts: number, batchSize: number) {
  const services = SERVICES.filter((s) => examples.has(s.key));
  let seed = 0x5eed;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;

  function host(i: number, scan: number, observedAt: string): Evidence[] {
    // Seeded by the host: a rescan sees the same services and banners, as it mostly does on a real network.
    seed = (i * 2654435761) & 0x7fffffff || 1;
    const ip = `198.18.${(i >> 8) & 255}.${i & 255}`;
    const mac = `${pick(OUI_PREFIXES)}${(i & 0xffffff).toString(16).padStart(6, '0')}`.match(/../g)!.join(':');
    const id = (n: string) => `s${scan}-h${i}-${n}`;
    const base = { agentId: 'bench-agent', site: 'bench', observedAt };
    const out: Evidence[] = [
      { ...base, id: id('arp'), target: { ip, transport: 'arp' }, probe: 'arp', facts: { 'mac.address': mac } },
      { ...base, id: id('icmp'), target: { ip, transport: 'icmp' }, probe: 'icmp', facts: {} },
      { ...base, id: id('tls'), target: { ip, port: 443, transport: 'tcp' }, probe: 'tls', facts: { 'tls.cert.sha256': (i * 2654435761 >>> 0).toString(16).padStart(64, '0') } },
    ];
    const count = 2 + Math.floor(rand() * 3);
    for (let k = 0; k < count; k++) {
      const s = pick(services);
      out.push({ ...base, id: id(`${s.probe}${s.port}-${k}`), target: { ip, port: s.port, transport: s.transport }, probe: s.probe, facts: { [s.key]: pick(examples.get(s.key)!) } });
    }
    return out;
  }

  function batches(scan: number, observedAt: string): BenchBatch[] {
    const out: BenchBatch[] = [];
    let records: Evidence[] = [];
    for (let i = 0; i < hosts; i++) {
      records.push(...host(i, scan, observedAt));
      if (records.length >= batchSize) {
        out.push({ batchId: `scan${scan}-b${out.length}`, agentId: 'bench-agent', site: 'bench', records });
        records = [];
      }
    }
    if (records.length > 0) out.push({ batchId: `scan${scan}-b${out.length}`, agentId: 'bench-agent', site: 'bench', records });
    return out;
  }

  return { services, batches };
}

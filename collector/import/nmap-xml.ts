// Nmap XML (`nmap -oX`, with -O and -sV results) -> evidence records: one per
// host that is up (addresses, MAC and vendor, names, the raw OS fingerprint and
// Nmap's own guesses) and one per open port (the -sV result). The
// fingerprinting happens later in collector/assets/sources/nmap.ts. Ids derive
// from the file's content, so importing the same file again stores nothing.
import { createHash } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { NMAP_FACTS, type NmapOsMatch } from '../assets/sources/nmap.ts';
import { isSextantError, SextantError } from '../../shared/errors.ts';
import type { Evidence } from '../../shared/types.ts';
import { canonicalIp, DEFAULT_LIMITS, validateRecord, type IngestLimits } from '../ingest/validate.ts';

export const NMAP_AGENT_ID = 'import:nmap';
export const NMAP_PROBE = 'nmap';

const ARRAYS = new Set(['host', 'port', 'address', 'hostname', 'osmatch', 'osclass', 'cpe', 'script', 'hostnames']);
/** Longest fact value kept from a script output or a fingerprint. */
const MAX_VALUE = 64 * 1024;

type Node = Record<string, unknown>;

const obj = (v: unknown): Node | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Node) : undefined);
const arr = (v: unknown): Node[] => (Array.isArray(v) ? v.map(obj).filter((x): x is Node => x !== undefined) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

function unixTime(v: unknown): string | undefined {
  const n = Number(str(v));
  if (!Number.isFinite(n) || n <= 946_684_800) return undefined;
  return new Date(n * 1000).toISOString();
}

function stableId(fileDigest: string, key: string): string {
  return `nmap-${createHash('sha256').update(`${fileDigest}\u0000${key}`).digest('hex').slice(0, 40)}`;
}

function malformed(file: string, detail: string, line?: number, column?: number): SextantError {
  return new SextantError('IMPORT_MALFORMED', detail, { file, ...(line === undefined ? {} : { line }), ...(column === undefined ? {} : { column }) });
}

export interface ParsedImport {
  format: 'nmap-xml' | 'evidence-jsonl';
  agentId: string;
  site: string;
  records: Evidence[];
  /** Hosts (Nmap) or lines (JSONL) that gave no record, and why. */
  skipped: string[];
}

/** Parses Nmap XML text; throws IMPORT_MALFORMED naming line:column for XML that is not well-formed. */
/** Line and column of the first occurrence of `needle` (1-based), to point at a bad value. */
function locate(text: string, needle: string, from = 0): { line?: number; column?: number } {
  const at = text.indexOf(needle, from);
  if (at === -1) return {};
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - before.lastIndexOf('\n') };
}

export function parseNmapXml(text: string, options: { file: string; site: string; fileDigest: string; now?: Date; limits?: IngestLimits }): ParsedImport {
  const { file, site, fileDigest } = options;
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw malformed(file, `not well-formed XML: ${valid.err.msg}`, valid.err.line, valid.err.col);
  let doc: Node;
  try {
    doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      // Nmap writes the fingerprint's line breaks as &#xa;.
      htmlEntities: true,
      parseAttributeValue: false,
      parseTagValue: false,
      isArray: (name) => ARRAYS.has(name),
    }).parse(text) as Node;
  } catch (err) {
    throw malformed(file, `cannot parse the XML: ${(err as Error).message}`);
  }
  const run = obj(doc.nmaprun);
  if (!run) {
    const root = Object.keys(doc).find((k) => !k.startsWith('?')) ?? 'nothing';
    throw malformed(file, `the root element is <${root}>, not Nmap's <nmaprun> (expected nmap -oX output)`);
  }
  const runStart = unixTime(run.start) ?? unixTime(obj(obj(run.runstats)?.finished)?.time) ?? (options.now ?? new Date()).toISOString();
  const records: Evidence[] = [];
  const skipped: string[] = [];
  /** Each host's address as written, to point at it in errors. */
  const spelled = new Map<string, string>();
  const hosts = arr(run.host);
  hosts.forEach((host, index) => {
    const where = `host ${index + 1}`;
    const state = str(obj(host.status)?.state);
    if (state !== undefined && state !== 'up') {
      skipped.push(`${where}: status ${state}`);
      return;
    }
    const addresses = arr(host.address);
    const ipNode = addresses.find((a) => a.addrtype === 'ipv4') ?? addresses.find((a) => a.addrtype === 'ipv6');
    const written = str(ipNode?.addr);
    // One spelling per address (IPv6 compressed, lower case), so ids and assets agree with agents'.
    const ip = written === undefined ? undefined : canonicalIp(written) ?? written;
    if (!ip) {
      skipped.push(`${where}: no IPv4 or IPv6 address`);
      return;
    }
    spelled.set(ip, written!);
    const macNode = addresses.find((a) => a.addrtype === 'mac');
    const observedAt = unixTime(host.endtime) ?? unixTime(host.starttime) ?? runStart;
    const facts: Record<string, string> = {};
    const mac = str(macNode?.addr);
    if (mac) facts[NMAP_FACTS.mac] = mac.toLowerCase();
    const vendor = str(macNode?.vendor);
    if (vendor) facts[NMAP_FACTS.macVendor] = vendor;
    const names = arr(host.hostnames).flatMap((h) => arr(h.hostname)).flatMap((h) => {
      const name = str(h.name);
      return name ? [{ name, type: str(h.type) ?? '' }] : [];
    });
    if (names.length > 0) {
      facts[NMAP_FACTS.hostname] = names[0]!.name;
      facts[NMAP_FACTS.hostnames] = JSON.stringify(names.slice(0, 32));
    }
    const os = obj(host.os);
    const print = str(obj(os?.osfingerprint)?.fingerprint);
    if (print) facts[NMAP_FACTS.osFingerprint] = print.slice(0, MAX_VALUE);
    const guesses: NmapOsMatch[] = arr(os?.osmatch).slice(0, 10).map((m) => ({
      name: str(m.name) ?? '',
      accuracy: Number(str(m.accuracy) ?? 0),
      ...(str(m.line) ? { line: Number(str(m.line)) } : {}),
      classes: arr(m.osclass).map((c) => ({
        ...(str(c.type) ? { type: str(c.type)! } : {}),
        ...(str(c.vendor) ? { vendor: str(c.vendor)! } : {}),
        ...(str(c.osfamily) ? { family: str(c.osfamily)! } : {}),
        ...(str(c.osgen) ? { generation: str(c.osgen)! } : {}),
        cpe: (Array.isArray(c.cpe) ? c.cpe : []).flatMap((x) => (typeof x === 'string' ? [x] : [])),
      })),
    }));
    if (guesses.length > 0) facts[NMAP_FACTS.osMatches] = JSON.stringify(guesses);
    const distance = str(obj(host.distance)?.value);
    if (distance) facts['nmap.distance'] = distance;
    const reason = str(obj(host.status)?.reason);
    if (reason) facts['nmap.status_reason'] = reason;
    records.push({ id: stableId(fileDigest, ip), agentId: NMAP_AGENT_ID, site, target: { ip }, probe: NMAP_PROBE, observedAt, facts });

    for (const port of arr(obj(host.ports)?.port)) {
      const portState = str(obj(port.state)?.state);
      const proto = str(port.protocol);
      const portId = Number(str(port.portid));
      // Only what answers is a service; closed and filtered ports are not kept.
      if (portState !== 'open' || (proto !== 'tcp' && proto !== 'udp') || !Number.isInteger(portId) || portId < 1 || portId > 65535) continue;
      const pf: Record<string, string> = { [NMAP_FACTS.portState]: portState };
      const svc = obj(port.service);
      const put = (key: string, v: unknown) => {
        const s = str(v);
        if (s) pf[key] = s.slice(0, MAX_VALUE);
      };
      if (svc) {
        put(NMAP_FACTS.serviceName, svc.tunnel === 'ssl' && str(svc.name) ? `ssl/${str(svc.name)}` : svc.name);
        put(NMAP_FACTS.serviceProduct, svc.product);
        put(NMAP_FACTS.serviceVersion, svc.version);
        put(NMAP_FACTS.serviceExtraInfo, svc.extrainfo);
        put(NMAP_FACTS.serviceMethod, svc.method);
        put(NMAP_FACTS.serviceConf, svc.conf);
        const cpes = (Array.isArray(svc.cpe) ? svc.cpe : []).flatMap((x) => (typeof x === 'string' ? [x] : []));
        if (cpes.length > 0) pf[NMAP_FACTS.serviceCpe] = cpes.join(' ');
      }
      for (const script of arr(port.script).slice(0, 64)) {
        const id = str(script.id);
        if (id && /^[A-Za-z0-9_-]{1,100}$/.test(id)) put(`nmap.script.${id}`, script.output);
      }
      records.push({
        id: stableId(fileDigest, `${ip}/${proto}/${portId}`),
        agentId: NMAP_AGENT_ID,
        site,
        target: { ip, port: portId, transport: proto },
        probe: NMAP_PROBE,
        observedAt,
        facts: pf,
      });
    }
  });
  // Checked here as the pipeline will, so a value Nmap would never write is reported with its place in the file.
  const now = (options.now ?? new Date()).getTime();
  for (const r of records) {
    try {
      validateRecord(r, 'host', { agentId: NMAP_AGENT_ID, site }, options.limits ?? DEFAULT_LIMITS, now);
    } catch (err) {
      if (!isSextantError(err)) throw err;
      // The host element's own address, not the <hosthint> before it.
      const attr = `addr="${spelled.get(r.target.ip) ?? r.target.ip}"`;
      const hostAt = [...text.matchAll(/<host[\s>]/g)].find((m) => text.indexOf(attr, m.index) !== -1)?.index ?? 0;
      const { line, column } = locate(text, attr, hostAt);
      throw malformed(file, `host ${r.target.ip}${r.target.port ? ` port ${r.target.port}` : ''}: ${err.location.field?.replace(/^host\.?/, '') || 'record'} ${err.detail}`, line, column);
    }
  }
  return { format: 'nmap-xml', agentId: NMAP_AGENT_ID, site, records, skipped };
}

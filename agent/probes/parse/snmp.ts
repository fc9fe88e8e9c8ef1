// Reads the system group varbinds (sysDescr, sysObjectID, sysName) as net-snmp decodes them into fact strings.
// Follows RFC 3418 (SNMPv2-MIB system group) and RFC 3416 section 4.2.1 (noSuchObject / noSuchInstance exceptions).
import { text } from './bytes.ts';

export const SYS_DESCR = '1.3.6.1.2.1.1.1.0';
export const SYS_OBJECT_ID = '1.3.6.1.2.1.1.2.0';
export const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
export const SYS_CONTACT = '1.3.6.1.2.1.1.4.0';
export const SYS_NAME = '1.3.6.1.2.1.1.5.0';
export const SYS_LOCATION = '1.3.6.1.2.1.1.6.0';
export const SYSTEM_OIDS = [SYS_DESCR, SYS_OBJECT_ID, SYS_NAME, SYS_CONTACT, SYS_LOCATION, SYS_UPTIME];

/** The shape of a decoded varbind (net-snmp's VarBind, without depending on its classes). */
export interface Varbind {
  oid: string;
  type?: number;
  value?: unknown;
}

const TYPE_NULL = 5;
const EXCEPTIONS = new Set([128, 129, 130]);

export interface SnmpSystem {
  facts: Record<string, string>;
  raw: Record<string, Uint8Array>;
}

const KEYS: Record<string, string> = {
  [SYS_DESCR]: 'snmp.sys_description',
  [SYS_OBJECT_ID]: 'snmp.sys_object_id',
  [SYS_NAME]: 'snmp.sys_name',
  [SYS_CONTACT]: 'snmp.sys_contact',
  [SYS_LOCATION]: 'snmp.sys_location',
  [SYS_UPTIME]: 'snmp.sys_uptime',
};

export function snmpSystemFacts(varbinds: readonly Varbind[]): SnmpSystem {
  const out: SnmpSystem = { facts: {}, raw: {} };
  for (const vb of varbinds) {
    if (!vb || typeof vb.oid !== 'string') continue;
    const key = KEYS[vb.oid.replace(/^\./, '')];
    if (!key || vb.type === undefined || vb.type === TYPE_NULL || EXCEPTIONS.has(vb.type)) continue;
    const v = vb.value;
    if (v instanceof Uint8Array) {
      out.facts[key] = text(v);
      out.raw[key] = v;
    } else if (typeof v === 'string') {
      // Recog's sysObjectID patterns start with "1.3.6...", never with a dot.
      out.facts[key] = key === 'snmp.sys_object_id' ? v.replace(/^\./, '') : v;
    } else if (typeof v === 'number' || typeof v === 'bigint') {
      out.facts[key] = String(v);
    }
  }
  return out;
}

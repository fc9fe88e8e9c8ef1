// Builds the NetBIOS node status (NBSTAT) request for "*" and reads the name table and unit ID from the answer.
// Follows RFC 1002 sections 4.2.1 (header), 4.2.17 and 4.2.18 (NODE STATUS REQUEST/RESPONSE) and RFC 1001 14.1 (name encoding).
import { Cursor, latin1 } from './bytes.ts';
import { readName } from './dns.ts';

const TYPE_NBSTAT = 0x21;

/** The wildcard name "*" padded with NULs to 16 bytes, first-level encoded (RFC 1001 14.1). */
function encodedWildcard(): Buffer {
  const raw = Buffer.alloc(16, 0);
  raw[0] = 0x2a;
  const enc = Buffer.alloc(34);
  enc[0] = 32;
  for (let i = 0; i < 16; i++) {
    enc[1 + 2 * i] = 0x41 + (raw[i]! >> 4);
    enc[2 + 2 * i] = 0x41 + (raw[i]! & 0x0f);
  }
  enc[33] = 0;
  return enc;
}

export function nodeStatusRequest(id: number): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(id & 0xffff, 0);
  head.writeUInt16BE(1, 4);
  return Buffer.concat([head, encodedWildcard(), Buffer.from([0x00, TYPE_NBSTAT, 0x00, 0x01])]);
}

export interface NetbiosName {
  name: string;
  suffix: number;
  group: boolean;
  flags: number;
}

export interface NodeStatus {
  names: NetbiosName[];
  /** netbios.name: the unique name with suffix 00 (the workstation name). */
  computer?: string;
  /** The group name with suffix 00 (workgroup or domain). */
  domain?: string;
  /** Unit ID as aa:bb:cc:dd:ee:ff; Samba reports zeros. */
  mac?: string;
  /** The RDATA the facts were read from. */
  data?: Uint8Array;
  error?: string;
}

export function parseNodeStatus(msg: Uint8Array, id?: number): NodeStatus {
  const out: NodeStatus = { names: [] };
  const c = new Cursor(msg);
  const rid = c.u16();
  const flags = c.u16();
  c.u16();
  const an = c.u16();
  if (!c.skip(4) || rid === undefined || flags === undefined || an === undefined) return { ...out, error: 'message is shorter than its header' };
  if (id !== undefined && rid !== id) return { ...out, error: 'answer id does not match the request' };
  if (!(flags & 0x8000) || an < 1) return { ...out, error: 'not a node status response' };
  if (readName(msg, c) === undefined) return { ...out, error: 'answer name is malformed' };
  const type = c.u16();
  c.u16();
  c.u32();
  const len = c.u16();
  if (type !== TYPE_NBSTAT || len === undefined) return { ...out, error: 'answer is not NBSTAT' };
  // Some stacks announce a longer RDATA than they send: read what is there.
  const data = c.bytes(Math.min(len, c.remaining))!;
  out.data = data;
  const d = new Cursor(data);
  const count = d.u8() ?? 0;
  for (let i = 0; i < count; i++) {
    const name = d.bytes(15);
    const suffix = d.u8();
    const nflags = d.u16();
    if (!name || suffix === undefined || nflags === undefined) return { ...out, error: 'name table is truncated' };
    out.names.push({ name: latin1(name).replace(/[\s\0]+$/, ''), suffix, group: (nflags & 0x8000) !== 0, flags: nflags });
  }
  const mac = d.bytes(6);
  if (mac) out.mac = [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
  const computer = out.names.find((n) => n.suffix === 0 && !n.group);
  const domain = out.names.find((n) => n.suffix === 0 && n.group);
  if (computer) out.computer = computer.name;
  if (domain) out.domain = domain.name;
  return out;
}

/** "NAME<20> UNIQUE" lines, the form nmblookup and Nmap print. */
export function formatNames(names: NetbiosName[]): string {
  return names.map((n) => `${n.name}<${n.suffix.toString(16).padStart(2, '0')}> ${n.group ? 'GROUP' : 'UNIQUE'}`).join('\n');
}

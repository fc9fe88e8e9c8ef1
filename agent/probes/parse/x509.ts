// Reads an X.509 certificate (DER): subject and issuer rendered as Go's pkix.Name.String(), SANs, SHA-256, validity.
// Follows RFC 5280 section 4.1 (DER per X.690) and Go's crypto/x509/pkix Name.String(), the order x509_subjects.xml expects.
import { X509Certificate, createHash } from 'node:crypto';
import { Cursor, latin1 } from './bytes.ts';

interface Tlv {
  tag: number;
  content: Uint8Array;
}

function readTlv(c: Cursor): Tlv | undefined {
  const tag = c.u8();
  const first = c.u8();
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) return undefined;
  let len = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    // Indefinite lengths are not DER; more than 4 length bytes is not a certificate.
    if (n === 0 || n > 4) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) {
      const b = c.u8();
      if (b === undefined) return undefined;
      len = len * 256 + b;
    }
  }
  const content = c.bytes(len);
  return content === undefined ? undefined : { tag, content };
}

export interface Attribute {
  oid: string;
  tag: number;
  value: string;
}

/** A Name as its RDNs (each a SET of attributes), in DER order. */
export type Rdns = Attribute[][];

function decodeOid(b: Uint8Array): string {
  if (b.length === 0) return '';
  const parts: number[] = [];
  let v = 0;
  for (const x of b) {
    v = v * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  const head = parts.shift() ?? 0;
  const a = head < 80 ? Math.floor(head / 40) : 2;
  return [a, head - a * 40, ...parts].join('.');
}

/** Strings decoded the way Go's x509 parser does (T61 as Latin-1, BMP as UTF-16BE). */
function decodeString(tag: number, b: Uint8Array): string {
  switch (tag) {
    case 0x0c:
      return Buffer.from(b).toString('utf8');
    case 0x1e: {
      let s = '';
      for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
      return s;
    }
    default:
      return latin1(b);
  }
}

export function parseName(der: Uint8Array): Rdns | undefined {
  const rdns: Rdns = [];
  const c = new Cursor(der);
  while (c.remaining > 0) {
    const set = readTlv(c);
    if (!set || set.tag !== 0x31) return undefined;
    const rdn: Attribute[] = [];
    const sc = new Cursor(set.content);
    while (sc.remaining > 0) {
      const atv = readTlv(sc);
      if (!atv || atv.tag !== 0x30) return undefined;
      const ac = new Cursor(atv.content);
      const oid = readTlv(ac);
      const val = readTlv(ac);
      if (!oid || oid.tag !== 0x06 || !val) return undefined;
      rdn.push({ oid: decodeOid(oid.content), tag: val.tag, value: decodeString(val.tag, val.content) });
    }
    rdns.push(rdn);
  }
  return rdns;
}

const NAMES: Record<string, string> = {
  '2.5.4.6': 'C', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.3': 'CN', '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.9': 'STREET', '2.5.4.17': 'POSTALCODE',
};

/**
 * Go's pkix.Name.String(): the parsed fields in the order SERIALNUMBER, CN,
 * OU, O, POSTALCODE, STREET, L, ST, C (several values of one field as one
 * "+"-joined RDN; only the last CN and SERIALNUMBER), then every other
 * attribute as OID=#hex(DER), last one first.
 */
export function goNameString(rdns: Rdns): string {
  const all = rdns.flat();
  const values = (oid: string) => all.filter((a) => a.oid === oid).map((a) => a.value);
  const seq: Array<Array<{ oid: string; value: string }>> = [];
  for (const a of all) if (!(a.oid in NAMES)) seq.push([{ oid: a.oid, value: a.value }]);
  const add = (oid: string, vals: string[]) => {
    if (vals.length > 0) seq.push(vals.map((value) => ({ oid, value })));
  };
  add('2.5.4.6', values('2.5.4.6'));
  add('2.5.4.8', values('2.5.4.8'));
  add('2.5.4.7', values('2.5.4.7'));
  add('2.5.4.9', values('2.5.4.9'));
  add('2.5.4.17', values('2.5.4.17'));
  add('2.5.4.10', values('2.5.4.10'));
  add('2.5.4.11', values('2.5.4.11'));
  const cn = values('2.5.4.3').at(-1);
  if (cn) add('2.5.4.3', [cn]);
  const serial = values('2.5.4.5').at(-1);
  if (serial) add('2.5.4.5', [serial]);
  return seq
    .reverse()
    .map((rdn) => rdn.map(({ oid, value }) => {
      const name = NAMES[oid];
      return name ? `${name}=${escapeValue(value)}` : `${oid}=#${goMarshalString(value).toString('hex')}`;
    }).join('+'))
    .join(',');
}

function escapeValue(v: string): string {
  let out = '';
  const chars = [...v];
  chars.forEach((ch, i) => {
    let esc = ',+"\\<>;'.includes(ch);
    if (ch === ' ') esc = i === 0 || i === chars.length - 1;
    if (ch === '#') esc = i === 0;
    out += esc ? `\\${ch}` : ch;
  });
  return out;
}

/** encoding/asn1.Marshal of a Go string: PrintableString when every character allows it, else UTF8String. */
function goMarshalString(v: string): Buffer {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(v);
  const body = Buffer.from(v, 'utf8');
  const tag = printable ? 0x13 : 0x0c;
  let len: Buffer;
  if (body.length < 0x80) len = Buffer.from([body.length]);
  else {
    const bytes: number[] = [];
    for (let n = body.length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

export interface CertificateFacts {
  subject?: string;
  issuer?: string;
  /** Lowercase hex SHA-256 of the DER. */
  sha256?: string;
  /** "DNS:a,DNS:b,IP Address:192.0.2.1" as Node renders the extension, comma-joined without spaces. */
  san?: string;
  notBefore?: string;
  notAfter?: string;
  serial?: string;
  selfSigned?: boolean;
  error?: string;
}

/** Every fact that can be read; a certificate Node rejects still yields its names and hash. */
export function parseCertificate(der: Uint8Array): CertificateFacts {
  const out: CertificateFacts = { sha256: createHash('sha256').update(der).digest('hex') };
  const names = tbsNames(der);
  if (names.error) out.error = names.error;
  if (names.subject) out.subject = goNameString(names.subject);
  if (names.issuer) out.issuer = goNameString(names.issuer);
  if (out.subject !== undefined && out.issuer !== undefined) out.selfSigned = out.subject === out.issuer;
  try {
    const x = new X509Certificate(der);
    if (x.subjectAltName) out.san = x.subjectAltName.split(/,\s*/).join(',');
    out.notBefore = new Date(x.validFrom).toISOString();
    out.notAfter = new Date(x.validTo).toISOString();
    out.serial = x.serialNumber.toLowerCase();
  } catch (err) {
    out.error ??= `certificate rejected: ${err instanceof Error ? err.message : String(err)}`;
  }
  return out;
}

function tbsNames(der: Uint8Array): { subject?: Rdns; issuer?: Rdns; error?: string } {
  const cert = readTlv(new Cursor(der));
  if (!cert || cert.tag !== 0x30) return { error: 'not a DER certificate' };
  const tbs = readTlv(new Cursor(cert.content));
  if (!tbs || tbs.tag !== 0x30) return { error: 'no TBSCertificate' };
  const c = new Cursor(tbs.content);
  let field = readTlv(c);
  if (field?.tag === 0xa0) field = readTlv(c); // explicit [0] version
  const signature = readTlv(c);
  const issuer = readTlv(c);
  const validity = readTlv(c);
  const subject = readTlv(c);
  if (!field || !signature || !issuer || !validity || !subject || issuer.tag !== 0x30 || subject.tag !== 0x30) {
    return { error: 'TBSCertificate is truncated' };
  }
  const out: { subject?: Rdns; issuer?: Rdns; error?: string } = {};
  const s = parseName(subject.content);
  const i = parseName(issuer.content);
  if (s) out.subject = s;
  if (i) out.issuer = i;
  if (!s || !i) out.error = 'a distinguished name is malformed';
  return out;
}

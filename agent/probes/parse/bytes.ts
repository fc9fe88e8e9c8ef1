// Reads big-endian integers and length-prefixed fields from untrusted bytes; every read is bounds-checked.
// Follows no protocol document itself: the shared cursor behind the protocol parsers in this folder.

/**
 * A read position over a buffer. Reads past the end return undefined instead
 * of throwing, so a parser can stop with a partial result on hostile input.
 */
export class Cursor {
  readonly buf: Uint8Array;
  pos: number;

  constructor(buf: Uint8Array, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  get remaining(): number {
    return Math.max(0, this.buf.length - this.pos);
  }

  u8(): number | undefined {
    if (this.remaining < 1) return undefined;
    return this.buf[this.pos++];
  }

  u16(): number | undefined {
    if (this.remaining < 2) return undefined;
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u16le(): number | undefined {
    if (this.remaining < 2) return undefined;
    const v = this.buf[this.pos]! | (this.buf[this.pos + 1]! << 8);
    this.pos += 2;
    return v;
  }

  u32(): number | undefined {
    if (this.remaining < 4) return undefined;
    const b = this.buf;
    const v = ((b[this.pos]! << 24) >>> 0) + ((b[this.pos + 1]! << 16) | (b[this.pos + 2]! << 8) | b[this.pos + 3]!);
    this.pos += 4;
    return v;
  }

  u32le(): number | undefined {
    if (this.remaining < 4) return undefined;
    const b = this.buf;
    const v = ((b[this.pos + 3]! << 24) >>> 0) + ((b[this.pos + 2]! << 16) | (b[this.pos + 1]! << 8) | b[this.pos]!);
    this.pos += 4;
    return v;
  }

  /** Exactly n bytes, or undefined (and no move) when fewer remain. */
  bytes(n: number): Uint8Array | undefined {
    if (!Number.isInteger(n) || n < 0 || n > this.remaining) return undefined;
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Bytes up to (not including) the next NUL, consuming the NUL; undefined when there is none. */
  cstring(): Uint8Array | undefined {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) return undefined;
    const out = this.buf.subarray(this.pos, end);
    this.pos = end + 1;
    return out;
  }

  skip(n: number): boolean {
    if (!Number.isInteger(n) || n < 0 || n > this.remaining) return false;
    this.pos += n;
    return true;
  }
}

export function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** True when the bytes are well-formed UTF-8 (the collector decodes such input as text). */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Text for a fact: UTF-8 when the bytes are valid UTF-8, otherwise one
 * character per byte, the same rule the collector's engine uses, so a
 * fact's string and its raw bytes always match the same way.
 */
export function text(bytes: Uint8Array): string {
  return isUtf8(bytes) ? utf8(bytes) : latin1(bytes);
}

/** The lines of a CRLF or LF text, without their terminators; a last unterminated line is kept. */
export function splitLines(s: string): string[] {
  const lines = s.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

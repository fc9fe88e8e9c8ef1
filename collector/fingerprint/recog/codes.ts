// The linear-time engine reads its input as UTF-16 code units from one shared
// typed array instead of through String#charCodeAt. V8 hands strings over in
// many representations (flat one- or two-byte, concatenated, sliced, external),
// and its optimised code for charCodeAt is specialised to the ones it has met:
// a new one deoptimises the DFA or the bit-state search in the middle of a
// 64 KiB match (30 to 80 ms interpreted, measured). Buffer#write copies any
// representation natively, so the hot loops only ever see one Uint16Array.
import { endianness } from 'node:os';

const LITTLE_ENDIAN = endianness() === 'LE';

let units = new Uint16Array(1 << 16);
let bytes = Buffer.from(units.buffer, units.byteOffset, units.byteLength);

/**
 * The input's code units in a shared array (valid until the next call; the
 * array is longer than the input). Matching is synchronous, so one suffices.
 */
export function codeUnits(input: string): Uint16Array {
  const len = input.length;
  if (units.length < len) {
    units = new Uint16Array(Math.max(len, units.length * 2));
    bytes = Buffer.from(units.buffer, units.byteOffset, units.byteLength);
  }
  if (LITTLE_ENDIAN) bytes.write(input, 0, len * 2, 'utf16le');
  else for (let i = 0; i < len; i++) units[i] = input.charCodeAt(i);
  return units;
}

// Reads the text of an HTML document's first <title> element, as sent (character references are not decoded).
// Follows the WHATWG HTML standard's title element (4.2.2) loosely, as html_title.xml expects its input.
import { text } from './bytes.ts';

/** Titles longer than this are not titles anyone fingerprints. */
const MAX_TITLE = 2048;

export interface HtmlTitle {
  title?: string;
  titleBytes?: Uint8Array;
}

export function parseHtmlTitle(body: Uint8Array): HtmlTitle {
  // latin1 keeps byte offsets equal to string offsets, so the tag search can slice the bytes.
  const s = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  const open = /<title(?:\s[^>]*)?>/i.exec(s);
  if (!open) return {};
  const start = open.index + open[0].length;
  const close = s.slice(start).search(/<\/title\s*>/i);
  const end = close < 0 ? Math.min(s.length, start + MAX_TITLE) : start + Math.min(close, MAX_TITLE);
  let bytes = body.subarray(start, end);
  // Leading and trailing whitespace is layout, not title: browsers drop it and the patterns assume it gone.
  let a = 0;
  let b = bytes.length;
  while (a < b && isWs(bytes[a]!)) a++;
  while (b > a && isWs(bytes[b - 1]!)) b--;
  bytes = bytes.subarray(a, b);
  return { title: text(bytes), titleBytes: bytes };
}

function isWs(x: number): boolean {
  return x === 0x20 || x === 0x09 || x === 0x0a || x === 0x0d || x === 0x0c;
}

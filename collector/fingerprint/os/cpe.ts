// Converts CPE 2.2 URIs (nmap-os-db `CPE cpe:/o:linux:linux_kernel:5`) into
// CPE 2.3 formatted strings (NISTIR 7695 §6.1.3 unbinding a URI, §6.2.2 binding to a formatted string).

const URI_COMPONENTS = ['part', 'vendor', 'product', 'version', 'update', 'edition', 'language'] as const;

/** A WFN value: the quoted form (`linux\_kernel`-style escapes), ANY or NA. */
type WfnValue = { quoted: string } | 'ANY' | 'NA';

function decodeUriComponent(s: string): WfnValue {
  if (s === '') return 'ANY';
  if (s === '-') return 'NA';
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '%') {
      out += /[a-z0-9_]/i.test(c) ? c.toLowerCase() : `\\${c}`;
      continue;
    }
    const code = s.slice(i, i + 3).toLowerCase();
    i += 2;
    if (code === '%01') out += '?';
    else if (code === '%02') out += '*';
    else {
      const ch = String.fromCharCode(parseInt(code.slice(1), 16) || 0x3f);
      out += /[a-z0-9_]/i.test(ch) ? ch.toLowerCase() : `\\${ch}`;
    }
  }
  return { quoted: out };
}

function bindForFs(v: WfnValue | undefined): string {
  if (v === undefined || v === 'ANY') return '*';
  if (v === 'NA') return '-';
  // Formatted strings leave `.`, `-` and `_` unescaped; every other escape stays.
  return v.quoted.replace(/\\([.\-_])/g, '$1');
}

/**
 * `cpe:/o:microsoft:windows_vista::sp1:home_premium` →
 * `cpe:2.3:o:microsoft:windows_vista:*:sp1:home_premium:*:*:*:*:*`.
 * Returns undefined for text that is not a CPE 2.2 URI.
 */
export function cpe22To23(uri: string): string | undefined {
  const m = /^cpe:\/([aho]?)((?::[^:]*){0,6})$/i.exec(uri.trim());
  if (!m) return undefined;
  const parts = [(m[1] as string), ...(m[2] as string).split(':').slice(1)];
  const wfn = new Map<string, WfnValue>();
  parts.forEach((raw, i) => {
    const name = URI_COMPONENTS[i] as string;
    if (name === 'edition' && raw.startsWith('~')) {
      // A packed edition: ~edition~sw_edition~target_sw~target_hw~other.
      const [, ed, sw, tsw, thw, other] = raw.split('~');
      wfn.set('edition', decodeUriComponent(ed ?? ''));
      wfn.set('sw_edition', decodeUriComponent(sw ?? ''));
      wfn.set('target_sw', decodeUriComponent(tsw ?? ''));
      wfn.set('target_hw', decodeUriComponent(thw ?? ''));
      wfn.set('other', decodeUriComponent(other ?? ''));
    } else {
      wfn.set(name, decodeUriComponent(raw));
    }
  });
  const order = ['part', 'vendor', 'product', 'version', 'update', 'edition', 'language', 'sw_edition', 'target_sw', 'target_hw', 'other'];
  return `cpe:2.3:${order.map((k) => bindForFs(wfn.get(k))).join(':')}`;
}

// Fingerprint improvement submissions, like runZero's "submit a fingerprint
// improvement": what a user says an asset is (type, OS, hardware, comment),
// recorded with the asset as it was, and exported as draft Recog-format
// fingerprints whose examples are the asset's own evidence (banners etc.).
// A draft's pattern is a placeholder: `fingerprints verify` fails until
// someone writes the pattern, and passes once it matches the examples.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { SextantError } from '../../shared/errors.ts';
import { assetView } from '../assets/view.ts';
import type { Asset } from '../assets/types.ts';
import type { Improvement, Store, StoredEvidence } from '../store/index.ts';

export const PATTERN_PLACEHOLDER = 'FILL-IN-PATTERN';
const MAX_VALUE = 200;
const MAX_COMMENT = 2000;
const MAX_EXAMPLES = 5;
const MAX_EXAMPLE_CHARS = 8192;
/** Facts that are never banners (structured probe output, MACs, Nmap's import fields). */
const NOT_EXAMPLES = /^(tcpip\.os_probes|mac\.address|netbios\.mac|nmap\.)/;
/** Banner-like keys, used when no loaded Recog database has the key yet (a draft may be its first fingerprint). */
const BANNER_KEYS = /(\.banner|_header\.server|\.sys_description|\.sys_descr|\.greeting|\.info|\.version|\.server_version)$/;

export interface ImprovementInput {
  type?: string | undefined;
  os?: string | undefined;
  hw?: string | undefined;
  comment?: string | undefined;
}

function checkText(value: string | undefined, field: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') throw new SextantError('IMPROVE_INVALID', 'must not be empty', { field });
  if (text.length > max) throw new SextantError('IMPROVE_INVALID', `is ${text.length} characters, at most ${max} allowed`, { field });
  // eslint-disable-next-line no-control-regex
  const bad = /[\u0000-\u0008\u000b-\u001f\u007f]/.exec(text);
  if (bad) throw new SextantError('IMPROVE_INVALID', `has a control character at position ${bad.index + 1}`, { field });
  return text;
}

/** The submission for an asset, checked; its id derives from what is said, so saying it twice records it once. */
export function buildImprovement(asset: Asset, input: ImprovementInput, now = new Date()): Improvement {
  const type = checkText(input.type, '--type', MAX_VALUE);
  const os = checkText(input.os, '--os', MAX_VALUE);
  const hw = checkText(input.hw, '--hw', MAX_VALUE);
  const comment = checkText(input.comment, '--comment', MAX_COMMENT);
  if (!type && !os && !hw) throw new SextantError('IMPROVE_INVALID', 'say what the asset is: at least one of --type, --os, --hw', { field: '--type' });
  const id = `imp-${createHash('sha256').update(JSON.stringify([asset.id, type ?? '', os ?? '', hw ?? '', comment ?? ''])).digest('hex').slice(0, 16)}`;
  return {
    id,
    asset_id: asset.id,
    site: asset.site,
    submitted_at: now.toISOString(),
    ...(type ? { type } : {}),
    ...(os ? { os } : {}),
    ...(hw ? { hw } : {}),
    ...(comment ? { comment } : {}),
    asset: JSON.stringify(assetView(asset)),
  };
}

/** An asset by id, unique id prefix (8+ characters) or address; IMPROVE_ASSET_UNKNOWN names what was tried. */
export async function findAsset(store: Store, ref: string): Promise<Asset> {
  const exact = await store.getAsset(ref);
  if (exact) return exact;
  const all = await store.listAssets();
  const found = isIP(ref) ? all.filter((a) => a.addresses.some((x) => x.address === ref)) : ref.length >= 8 ? all.filter((a) => a.id.startsWith(ref)) : [];
  if (found.length === 1) return found[0]!;
  if (found.length > 1) throw new SextantError('IMPROVE_ASSET_UNKNOWN', `"${ref}" names ${found.length} assets (${found.map((a) => `${a.id} in ${a.site}`).join(', ')}); give the asset id`, { field: 'ASSET' });
  throw new SextantError('IMPROVE_ASSET_UNKNOWN', `no asset has the id, id prefix or address "${ref}"`, { field: 'ASSET' });
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Text XML 1.0 can carry as it is; anything else goes into a base64 example. */
function xmlSafe(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(text) && text.trim() === text;
}

export interface Draft {
  /** File name inside the export directory. */
  file: string;
  key: string;
  examples: number;
  xml: string;
}

/**
 * One draft per Recog match key found in the evidence (a Recog file serves
 * one key): `<example>`s are the distinct values of that key, the params
 * say what the submitter said (os.product, hw.product, hw.device).
 */
export function draftFingerprints(improvement: Improvement, evidence: StoredEvidence[], isRecogKey: (key: string) => boolean = () => false): Draft[] {
  const byKey = new Map<string, string[]>();
  for (const e of evidence) {
    for (const [key, value] of Object.entries(e.facts)) {
      if (NOT_EXAMPLES.test(key) || !(isRecogKey(key) || BANNER_KEYS.test(key)) || value === '' || value.length > MAX_EXAMPLE_CHARS) continue;
      const list = byKey.get(key) ?? [];
      if (!list.includes(value) && list.length < MAX_EXAMPLES) list.push(value);
      byKey.set(key, list);
    }
  }
  const view = JSON.parse(improvement.asset) as { addresses?: string[]; os?: string; hw?: string; type?: string };
  const said = [improvement.os && `os=${improvement.os}`, improvement.hw && `hw=${improvement.hw}`, improvement.type && `type=${improvement.type}`].filter(Boolean).join(' ');
  const current = [view.os && `os=${view.os}`, view.hw && `hw=${view.hw}`, view.type && `type=${view.type}`].filter(Boolean).join(' ') || 'nothing';
  const params: string[] = [];
  if (improvement.os) params.push(`    <param pos="0" name="os.product" value="${escapeXml(improvement.os)}"/>`);
  if (improvement.hw) params.push(`    <param pos="0" name="hw.product" value="${escapeXml(improvement.hw)}"/>`);
  if (improvement.type) params.push(`    <param pos="0" name="hw.device" value="${escapeXml(improvement.type)}"/>`);
  const drafts: Draft[] = [];
  for (const [key, values] of [...byKey.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const protocol = key.split(/[._]/)[0]!;
    const examples = values.map((v) => (xmlSafe(v)
      ? `    <example>${escapeXml(v)}</example>`
      : `    <example _encoding="base64">${Buffer.from(v, 'latin1').toString('base64')}</example>`));
    const comment = [
      `Draft fingerprint from Sextant improvement submission ${improvement.id}.`,
      `Asset ${improvement.asset_id} (site ${improvement.site}, ${(view.addresses ?? []).join(', ') || 'no address'}), submitted ${improvement.submitted_at}.`,
      `Submitted: ${said}.`,
      ...(improvement.comment ? [`Comment: ${improvement.comment}`] : []),
      `Sextant said: ${current}.`,
      `To finish: replace the placeholder pattern ${PATTERN_PLACEHOLDER} with a regular expression that matches`,
      'every example (and what else this product says, nothing more); capture version numbers',
      'and add pos="N" params for them; then run `sextant fingerprints verify` on this file.',
    ].map((l) => `  ${l.replace(/--/g, '- -')}`).join('\n');
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!--
${comment}
-->
<fingerprints matches="${escapeXml(key)}" protocol="${escapeXml(protocol)}" database_type="service" preference="0.90">
  <fingerprint pattern="${PATTERN_PLACEHOLDER}">
    <description>${escapeXml([improvement.os, improvement.hw, improvement.type].filter(Boolean).join(', '))}</description>
${examples.join('\n')}
${params.join('\n')}
  </fingerprint>
</fingerprints>
`;
    drafts.push({ file: `${improvement.id}.${key.replace(/[^A-Za-z0-9_.-]/g, '_')}.xml`, key, examples: values.length, xml });
  }
  return drafts;
}

export interface ExportedImprovement {
  id: string;
  asset_id: string;
  drafts: Draft[];
  /** Why no draft was written (no banner-like evidence). */
  note?: string;
}

/** Every submission's drafts, with the asset's evidence as stored now. */
export async function exportImprovements(store: Store, isRecogKey?: (key: string) => boolean): Promise<ExportedImprovement[]> {
  const out: ExportedImprovement[] = [];
  for (const imp of await store.listImprovements()) {
    const evidence = await store.readEvidence({ assetId: imp.asset_id });
    const drafts = draftFingerprints(imp, evidence, isRecogKey);
    out.push({ id: imp.id, asset_id: imp.asset_id, drafts, ...(drafts.length === 0 ? { note: 'the asset\'s evidence holds no banner a Recog fingerprint could match' } : {}) });
  }
  return out;
}

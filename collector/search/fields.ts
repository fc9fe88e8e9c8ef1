// The searchable fields and how each compares. Pure.
export type FieldType = 'text' | 'number' | 'version' | 'time' | 'bool';

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** Where SQL finds it: the value index (search_values) or a column of search_assets. */
  column?: 'first' | 'last' | 'alive';
}

const FIELDS: Record<string, FieldSpec> = {};
const add = (name: string, type: FieldType, column?: FieldSpec['column']) => {
  FIELDS[name] = column ? { name, type, column } : { name, type };
};
for (const f of ['os', 'hw', 'type', 'address', 'mac', 'mac_vendor', 'name', 'site', 'agent', 'source', 'service', 'product', 'protocol', 'transport', 'id']) add(f, 'text');
add('os_version', 'version');
add('version', 'version');
add('port', 'number');
add('service_count', 'number');
add('first_seen', 'time', 'first');
add('last_seen', 'time', 'last');
add('alive', 'bool', 'alive');

/** runZero spellings that mean one of ours. */
const ALIASES: Record<string, string> = {
  hardware: 'hw',
  ip: 'address',
  addr: 'address',
  hostname: 'name',
  names: 'name',
  mac_vendors: 'mac_vendor',
  vendor: 'mac_vendor',
  ports: 'port',
  products: 'product',
  protocols: 'protocol',
  sources: 'source',
  sites: 'site',
  agents: 'agent',
};

/** The fields a bare word searches (decided: what identifies a device to a person). */
export const BARE_FIELDS = ['os', 'os_version', 'hw', 'type', 'name', 'address', 'mac', 'mac_vendor', 'service', 'id'];

/** The spec of a (lower-cased) field name; fp.* keys are text, or versions when the key names a version. */
export function fieldSpec(name: string): FieldSpec | undefined {
  const n = ALIASES[name] ?? name;
  const known = FIELDS[n];
  if (known) return known;
  if (/^fp\.[a-z0-9_.-]+$/.test(n) && !n.endsWith('.')) {
    const last = n.slice(n.lastIndexOf('.') + 1);
    return { name: n, type: last.includes('version') ? 'version' : 'text' };
  }
  return undefined;
}

export function canonicalField(name: string): string {
  return fieldSpec(name)?.name ?? name;
}

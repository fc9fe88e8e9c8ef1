// CrowdStrike Falcon: `GET /devices/entities/devices/v2` ({resources:[device]}).
// Identities: the Falcon device id, serial number, the MAC of the reporting
// interface, hostname (with machine_domain). local_ip is what the sensor says,
// not an address that answered: kept as a secondary address, not matched on
// (policy). Claims: OS, hardware, type (certainty 0.95, source `CrowdStrike`).
import type { Evidence, FingerprintCandidate } from '../../../shared/types.ts';
import { candidatesFromFacts, deviceEvidence, deviceList, DeviceFields, facts, macOf, osFacts, type ImportContext } from './common.ts';

export const PRODUCT = 'CrowdStrike';
export const CERTAINTY = 0.95;

const TYPES: Record<string, string> = { workstation: 'Desktop', server: 'Server', 'domain controller': 'Server' };

export function toEvidence(parsed: unknown, ctx: ImportContext): Evidence[] {
  return deviceList(parsed, 'resources', ctx.file, PRODUCT).map((raw, i) => {
    const d = new DeviceFields(raw, { file: ctx.file, field: `resources[${i}]` });
    const id = d.required('device_id');
    const platform = d.str('platform_name');
    const osVersion = d.str('os_version');
    const version = [d.str('major_version'), d.str('minor_version'), d.str('build_number')].filter(Boolean).join('.') || undefined;
    const os = osFacts(platform === 'Mac' ? 'macOS' : platform, version);
    const f = facts({
      'integration.id': `crowdstrike:${id}`,
      'host.hostname': d.str('hostname'),
      'host.domain': d.str('machine_domain'),
      'host.serial': d.str('serial_number'),
      'host.macs': macOf(d.str('mac_address')),
      'host.type': TYPES[(d.str('product_type_desc') ?? '').toLowerCase()],
      ...os,
      // "Windows 11", "Ubuntu 22.04": the product as the sensor names it.
      'os.product': osVersion ?? os['os.product'],
      'hw.vendor': d.str('system_manufacturer'),
      'hw.product': d.str('system_product_name'),
      'crowdstrike.agent_version': d.str('agent_version'),
      'crowdstrike.local_ip': d.str('local_ip'),
      'crowdstrike.external_ip': d.str('external_ip'),
    });
    return deviceEvidence(ctx, id, d.time('last_seen') ?? d.time('first_seen'), f, d.str('local_ip'));
  });
}

export function candidates(record: Evidence): FingerprintCandidate[] {
  return candidatesFromFacts(record.facts, PRODUCT, CERTAINTY, record.id, record.facts['integration.id'] ?? record.id);
}

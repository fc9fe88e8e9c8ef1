// Microsoft Intune: Graph `GET /deviceManagement/managedDevices` ({value:[managedDevice]}).
// Identities: the Intune id, the Entra (Azure AD) device id it is joined to,
// the serial number, Wi-Fi and Ethernet MACs, the device name. Claims: OS,
// hardware, type from the device's own report (certainty 0.95, source `Intune`).
import type { Evidence, FingerprintCandidate } from '../../../shared/types.ts';
import { candidatesFromFacts, deviceEvidence, deviceList, DeviceFields, facts, macOf, osFacts, type ImportContext } from './common.ts';

export const PRODUCT = 'Intune';
export const CERTAINTY = 0.95;

const TYPES: Record<string, string> = { windowsrt: 'Desktop', desktop: 'Desktop', windows: 'Desktop', iphone: 'Mobile', android: 'Mobile', ipad: 'Tablet', macmdm: 'Desktop', mac: 'Desktop' };

export function toEvidence(parsed: unknown, ctx: ImportContext): Evidence[] {
  return deviceList(parsed, 'value', ctx.file, PRODUCT).map((raw, i) => {
    const d = new DeviceFields(raw, { file: ctx.file, field: `value[${i}]` });
    const id = d.required('id');
    const aad = d.str('azureADDeviceId');
    const macs = [macOf(d.str('wiFiMacAddress')), macOf(d.str('ethernetMacAddress'))].filter((m): m is string => m !== undefined);
    const os = d.str('operatingSystem');
    const f = facts({
      'integration.id': `intune:${id}`,
      'integration.ids': aad && aad !== '00000000-0000-0000-0000-000000000000' ? `azuread:${aad}` : undefined,
      'host.hostname': d.str('deviceName'),
      'host.serial': d.str('serialNumber'),
      'host.macs': macs.join('\n') || undefined,
      'host.type': TYPES[(d.str('deviceType') ?? os ?? '').toLowerCase()] ?? (os?.toLowerCase().startsWith('windows') || os?.toLowerCase() === 'macos' ? 'Desktop' : os?.toLowerCase() === 'ios' || os?.toLowerCase() === 'android' ? 'Mobile' : undefined),
      ...osFacts(os, d.str('osVersion')),
      'hw.vendor': d.str('manufacturer'),
      'hw.product': d.str('model'),
      'intune.compliance_state': d.str('complianceState'),
      'intune.owner_type': d.str('managedDeviceOwnerType'),
      'intune.user': d.str('userPrincipalName'),
    });
    return deviceEvidence(ctx, id, d.time('lastSyncDateTime') ?? d.time('enrolledDateTime'), f);
  });
}

export function candidates(record: Evidence): FingerprintCandidate[] {
  return candidatesFromFacts(record.facts, PRODUCT, CERTAINTY, record.id, record.facts['integration.id'] ?? record.id);
}

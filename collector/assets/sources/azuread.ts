// Microsoft Entra ID (Azure AD): Graph `GET /devices` ({value:[device]}).
// Identities: deviceId (the id Intune reports as azureADDeviceId; the object
// id is Graph-internal) and the display name. Claims: OS (certainty 0.8: the
// directory records what the device said at registration, source `Azure AD`).
import type { Evidence, FingerprintCandidate } from '../../../shared/types.ts';
import { candidatesFromFacts, deviceEvidence, deviceList, DeviceFields, facts, osFacts, type ImportContext } from './common.ts';

export const PRODUCT = 'Azure AD';
export const CERTAINTY = 0.8;

export function toEvidence(parsed: unknown, ctx: ImportContext): Evidence[] {
  return deviceList(parsed, 'value', ctx.file, PRODUCT).map((raw, i) => {
    const d = new DeviceFields(raw, { file: ctx.file, field: `value[${i}]` });
    const id = d.required('deviceId');
    const f = facts({
      'integration.id': `azuread:${id}`,
      'host.hostname': d.str('displayName'),
      ...osFacts(d.str('operatingSystem'), d.str('operatingSystemVersion')),
      'hw.vendor': d.str('manufacturer'),
      'hw.product': d.str('model'),
      'azuread.trust_type': d.str('trustType'),
      'azuread.object_id': d.str('id'),
      'azuread.account_enabled': d.str('accountEnabled'),
    });
    return deviceEvidence(ctx, id, d.time('approximateLastSignInDateTime') ?? d.time('registrationDateTime') ?? d.time('createdDateTime'), f);
  });
}

export function candidates(record: Evidence): FingerprintCandidate[] {
  return candidatesFromFacts(record.facts, PRODUCT, CERTAINTY, record.id, record.facts['integration.id'] ?? record.id);
}

// SMB: SMB2 NEGOTIATE and the NTLM CHALLENGE of an anonymous SESSION_SETUP (smb.os_version, names, dialect, signing).
import { randomBytes } from 'node:crypto';
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { silentStatus, withTcp } from './io/tcp.ts';
import {
  STATUS_MORE_PROCESSING_REQUIRED, negotiateRequest, parseNegotiateResponse, parseNtlmChallenge, parseSmb2,
  sessionFrame, sessionMessageComplete, sessionSetupBlob, sessionSetupRequest,
} from './parse/smb.ts';

export const smbProbe: Probe = {
  name: 'smb',
  transport: 'tcp',
  defaultPorts: [445],
  run(target, ctx) {
    const run = startRun('smb', target, 'tcp', 445);
    return withTcp(run, ctx, async (conn) => {
      conn.write(sessionFrame(negotiateRequest(randomBytes(16), randomBytes(32))));
      const neg = await conn.read({ complete: sessionMessageComplete });
      if (neg.bytes.length === 0) {
        const s = silentStatus(neg);
        return run.finish(s.status, s.error);
      }
      const m = parseSmb2(neg.bytes);
      if (!m.message || m.command !== 0 || m.status !== 0) {
        run.rawOnly('smb.received', neg.bytes);
        return run.finish(m.message ? 'protocol-error' : 'no-match', m.error ?? `NEGOTIATE failed with status 0x${(m.status ?? 0).toString(16)}`);
      }
      run.rawOnly('smb.negotiate', m.message);
      const info = parseNegotiateResponse(m.message);
      run.fact('smb.dialect', info.dialect);
      run.fact('smb.signing', info.signing);
      run.fact('smb.server_guid', info.serverGuid);
      run.fact('smb.system_time', info.systemTime);
      if (info.error) return run.finish('protocol-error', info.error);

      conn.write(sessionFrame(sessionSetupRequest(1)));
      const setup = await conn.read({ complete: sessionMessageComplete });
      const s = parseSmb2(setup.bytes);
      if (!s.message || s.command !== 1 || s.status !== STATUS_MORE_PROCESSING_REQUIRED) {
        // The dialect and signing facts stand; the OS version needs the challenge.
        return run.finish('success', s.error ?? `SESSION_SETUP gave no challenge (status 0x${(s.status ?? 0).toString(16)})`);
      }
      const ch = parseNtlmChallenge(sessionSetupBlob(s.message) ?? new Uint8Array(0));
      if (ch.message) run.rawOnly('smb.ntlm_challenge', ch.message);
      run.fact('smb.os_version', ch.osVersion);
      run.fact('netbios.name', ch.netbiosName);
      run.fact('netbios.domain', ch.netbiosDomain);
      run.fact('smb.dns_name', ch.dnsName);
      run.fact('smb.dns_domain', ch.dnsDomain);
      run.fact('smb.dns_forest', ch.dnsForest);
      return run.finish('success', ch.error);
    });
  },
};

// SSH: the identification line (ssh.banner) and, through one ECDH key exchange, the host key fingerprint.
import { createECDH, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Probe } from '../../shared/types.ts';
import { BANNER_LIMIT, grabBanner, type TcpConn } from './io/tcp.ts';
import { startRun } from './io/run.ts';
import {
  SSH_MSG_DISCONNECT, SSH_MSG_KEXINIT, SSH_MSG_KEX_ECDH_REPLY, buildEcdhInit, buildKexinit, negotiate, parseEcdhReply,
  parseKexinit, parseSshIdentification, parseSshPackets, sshIdentificationComplete, type SshHostKey, type SshKexinit,
} from './parse/ssh.ts';

const CLIENT_ID = 'SSH-2.0-Sextant_0.1\r\n';
const KEX = ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521'];
const HOST_KEYS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
const CIPHERS = ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-cbc', 'aes256-cbc'];
const MACS = ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'umac-64-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1'];
const COMPRESSION = ['none', 'zlib@openssh.com'];

export const sshProbe: Probe = {
  name: 'ssh',
  transport: 'tcp',
  defaultPorts: [22],
  run(target, ctx) {
    const run = startRun('ssh', target, 'tcp', 22);
    return grabBanner(run, ctx, { complete: sshIdentificationComplete, limit: BANNER_LIMIT }, async (first, conn) => {
      const id = parseSshIdentification(first.bytes);
      if (id.banner === undefined) {
        run.rawOnly('ssh.received', first.bytes);
        return run.finish('no-match', id.error);
      }
      run.fact('ssh.banner', id.banner, first.bytes.subarray(id.lineStart, id.end));
      run.fact('ssh.protocol_version', id.protoVersion);
      if (id.preamble.length > 0) run.fact('ssh.preamble', id.preamble.join('\n'));
      // SSH-1 only servers cannot do the SSH-2 key exchange below.
      if (id.protoVersion !== '2.0' && id.protoVersion !== '1.99') return run.finish('success');
      const kex = await keyExchange(conn, first.bytes.subarray(id.end));
      if (kex.server) {
        run.fact('ssh.kex_algorithms', kex.server.kex.join(','));
        run.fact('ssh.hostkey_algorithms', kex.server.hostKey.join(','));
        run.fact('ssh.ciphers', kex.server.ciphersS2C.join(','));
        run.fact('ssh.macs', kex.server.macsS2C.join(','));
      }
      if (kex.hostKey?.sha256 && kex.hostKey.blob) {
        run.fact('ssh.hostkey.sha256', kex.hostKey.sha256, kex.hostKey.blob);
        run.fact('ssh.hostkey.type', kex.hostKey.type);
      }
      // The banner is the required fact; a failed key exchange is kept as a note, not a failure.
      return run.finish('success', kex.error);
    });
  },
};

interface KexOutcome {
  server?: SshKexinit;
  hostKey?: SshHostKey;
  error?: string;
}

async function keyExchange(conn: TcpConn, already: Uint8Array): Promise<KexOutcome> {
  conn.write(CLIENT_ID);
  conn.write(buildKexinit(randomBytes(16), [KEX, HOST_KEYS, CIPHERS, CIPHERS, MACS, MACS, COMPRESSION, COMPRESSION, [], []]));
  const out: KexOutcome = {};
  let pending = Buffer.from(already);
  let sentInit = false;
  for (let round = 0; round < 16; round++) {
    const { packets, rest, error } = parseSshPackets(pending);
    pending = Buffer.from(rest);
    for (const p of packets) {
      if (p.type === SSH_MSG_DISCONNECT) return { ...out, error: 'server disconnected during key exchange' };
      if (p.type === SSH_MSG_KEXINIT && !out.server) {
        out.server = parseKexinit(p.payload);
        const alg = negotiate(KEX, out.server.kex);
        if (!alg) return { ...out, error: 'no common key-exchange algorithm' };
        conn.write(buildEcdhInit(ephemeralPublicKey(alg)));
        sentInit = true;
      } else if (p.type === SSH_MSG_KEX_ECDH_REPLY && sentInit) {
        out.hostKey = parseEcdhReply(p.payload);
        return out.hostKey.error ? { ...out, error: out.hostKey.error } : out;
      }
    }
    if (error) return { ...out, error };
    const more = await conn.read({ complete: (b) => parseSshPackets(Buffer.concat([pending, b])).packets.length > 0 });
    if (more.bytes.length === 0) return { ...out, error: `key exchange ended: ${more.end}` };
    pending = Buffer.concat([pending, more.bytes]);
  }
  return { ...out, error: 'key exchange did not finish' };
}

/** A fresh ephemeral public key in the encoding the negotiated method sends (RFC 8731, RFC 5656). */
function ephemeralPublicKey(alg: string): Buffer {
  if (alg.startsWith('curve25519')) {
    const spki = generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' });
    return spki.subarray(spki.length - 32);
  }
  const curve = alg.endsWith('384') ? 'secp384r1' : alg.endsWith('521') ? 'secp521r1' : 'prime256v1';
  const ecdh = createECDH(curve);
  return ecdh.generateKeys();
}

// The agent's service probes: one registration list, and the pure byte parsers they are built on.
import type { Probe } from '../../shared/types.ts';
import { amqpProbe } from './amqp.ts';
import { dnsProbe } from './dns.ts';
import { ftpProbe } from './ftp.ts';
import { httpProbe } from './http.ts';
import { httpsProbe } from './https.ts';
import { imapProbe } from './imap.ts';
import { mdnsProbe } from './mdns.ts';
import { memcachedProbe } from './memcached.ts';
import { mysqlProbe } from './mysql.ts';
import { natsProbe } from './nats.ts';
import { netbiosProbe } from './netbios.ts';
import { ntpProbe } from './ntp.ts';
import { pop3Probe } from './pop3.ts';
import { postgresqlProbe } from './postgresql.ts';
import { redisProbe } from './redis.ts';
import { smbProbe } from './smb.ts';
import { smb1Probe } from './smb1.ts';
import { smtpProbe } from './smtp.ts';
import { snmpProbe } from './snmp.ts';
import { sshProbe } from './ssh.ts';
import { telnetProbe } from './telnet.ts';
import { tlsProbe } from './tls.ts';

/** Every service probe, once. Adding a protocol adds one line here. */
export const probes: readonly Probe[] = [
  sshProbe,
  ftpProbe,
  smtpProbe,
  pop3Probe,
  imapProbe,
  telnetProbe,
  mysqlProbe,
  natsProbe,
  redisProbe,
  memcachedProbe,
  postgresqlProbe,
  amqpProbe,
  httpProbe,
  httpsProbe,
  tlsProbe,
  snmpProbe,
  ntpProbe,
  dnsProbe,
  netbiosProbe,
  mdnsProbe,
  smbProbe,
  smb1Probe,
];

export function probeByName(name: string): Probe | undefined {
  return probes.find((p) => p.name === name);
}

export {
  amqpProbe, dnsProbe, ftpProbe, httpProbe, httpsProbe, imapProbe, mdnsProbe, memcachedProbe, mysqlProbe, natsProbe,
  netbiosProbe, ntpProbe, pop3Probe, postgresqlProbe, redisProbe, smb1Probe, smbProbe, smtpProbe, snmpProbe, sshProbe, telnetProbe, tlsProbe,
};
export { BANNER_LIMIT, connectTcp, grabBanner } from './io/tcp.ts';
export { udpExchange } from './io/udp.ts';
export * from './parse/index.ts';

// Raw-packet networking for the agent: IPv4 datagram building and bounded
// parsing, raw sockets (raw-socket, IP_HDRINCL), routes and neighbours, and
// the shared engine that sends Nmap's OS probes to many hosts at once and
// returns the raw evidence collector/fingerprint/os reads.

export { buildIcmpEcho, buildTcp, buildUdp, checksum, ipv4Bytes, ipv4String, type IpHeaderFields, type TcpFields } from './packet.ts';
export { readCaptured, readIpHeader, readTcpOptions, tcpOptionBytes, type CapturedPacket, type IpView, type QuotedView, type TcpOption, type TcpView } from './parse.ts';
export { openRawTransport, type PacketTransport, type TransportOpening } from './raw.ts';
export { isDirectlyConnected, isOwnAddress, macFromArpTable, neighbourMac, routeTo, sourceAddressFor, type TargetRoute } from './route.ts';
export { buildProbe, drawRoundValues, portOffset, type ProbeAddressing, type RoundValues } from './os-probes.ts';
export { DEFAULT_TIMING, type RoundTiming } from './os-session.ts';
export { createOsEngine, sharedOsEngine, type OsEngine, type OsEngineOptions, type OsHostEvidence, type OsScanOutcome, type OsScanRequest } from './os-engine.ts';
export { encodeOsEvidence, osEvidenceOf, OS_EVIDENCE_KEY } from './os-evidence.ts';
export { createSynScanner, emptyReply, icmpUnreachableState, readSynReply, synCookie, SYN_CLOSED, SYN_FILTERED, SYN_OPEN, SYN_PENDING, SYN_UNREACHABLE, type SynReply, type SynScanner, type SynScannerOptions, type SynStats } from './syn.ts';

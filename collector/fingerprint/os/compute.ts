// Builds the subject fingerprint of one round of OS probes from the agent's
// raw evidence, replaying replies in arrival order the way Nmap 7.93's
// processResp, makeTSeqFP and makeFP do (nmap-os-detection.md §1–§3).
import { decodeEvidence, type DecodedProbe, type OsScanEvidence } from './evidence.ts';
import { parseIpv4, parseTcp, tcpOptionsString, tcpTimestamp, TCP_ACK, TCP_RST, TCP_SYN, type TcpSegment } from './packets.ts';
import { echoReply, ecnTest, ieTest, tcpReply, tTest, u1Test, type PendingTest } from './responses.ts';
import { ipIdClass, ipIdValue, isnTests, sharedIpIdSequence, timestampTest, type SeqSample, type TimestampClass } from './sequence.ts';
import type { FingerprintAttribute, FingerprintTest, SubjectFingerprint } from './types.ts';

export interface OsFingerprintComputation {
  /** SEQ … IE in Nmap's order (no SCAN line: see `scanTest`). */
  fingerprint: SubjectFingerprint;
  /** Hops to the target from the U1 reply (probe TTL − quoted TTL + 1), when there was one. */
  distance?: number;
  /** (SEQ6 send − SEQ1 send) / 500 ms; above 1.4 the print is not trustworthy. */
  timingRatio?: number;
  /** Why Nmap would call this print non-ideal (SCAN G=N); empty when it is ideal. */
  nonIdealReasons: string[];
}

const TEST_ORDER = ['SEQ', 'OPS', 'WIN', 'ECN', 'T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'U1', 'IE'];
const hex = (n: number) => n.toString(16).toUpperCase();

/** Nmap's get_initial_ttl_guess. */
export function initialTtlGuess(ttl: number): number {
  return ttl <= 32 ? 32 : ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
}

interface RoundState {
  seq: Array<{ isn: number; ipId: number; tsval: number } | undefined>;
  tsClass: TimestampClass;
  lastIpId: number;
  tcpIpIds: Array<number | undefined>;
  closedIpIds: Array<number | undefined>;
  icmpIpIds: Array<number | undefined>;
  ops: Array<string | undefined>;
  win: Array<string | undefined>;
  tests: Map<string, PendingTest>;
  storedEcho?: { replyNo: number; reply: NonNullable<ReturnType<typeof echoReply>> };
  hops?: number;
}

/** Nmap's processTSeqResp: true when the reply is a new SYN/ACK for its slot. */
function takeSeqReply(state: RoundState, slot: number, ipId: number, tcp: TcpSegment): boolean {
  // A repeated non-zero IP ID is a duplicate (seen on localhost).
  if (state.lastIpId !== 0 && ipId === state.lastIpId) return false;
  state.lastIpId = ipId;
  if (tcp.flags & TCP_RST) return false;
  if ((tcp.flags & (TCP_SYN | TCP_ACK)) !== (TCP_SYN | TCP_ACK)) return false;
  if (state.seq[slot] && state.seq[slot].isn !== 0) return false;
  const ts = tcpTimestamp(tcp.options);
  if (ts === undefined) state.tsClass = 'unsupported';
  else if (ts === 0) state.tsClass = 'zero';
  state.seq[slot] = { isn: tcp.seq, ipId, tsval: ts ?? 0 };
  return true;
}

function takeOpsWin(state: RoundState, slot: number, tcp: TcpSegment): void {
  state.ops[slot] ??= tcpOptionsString(tcp.options);
  state.win[slot] ??= hex(tcp.window);
}

function processReply(state: RoundState, probe: DecodedProbe, packet: Uint8Array, retransmitted: boolean): void {
  const name = probe.name;
  if (name === 'U1') {
    if (state.tests.has('U1')) return;
    const u1 = u1Test(packet, probe.sent);
    if (u1) {
      state.tests.set('U1', u1.test);
      state.hops ??= u1.hops;
    }
    return;
  }
  if (name === 'IE1' || name === 'IE2') {
    const reply = echoReply(packet);
    if (!reply || state.tests.has('IE')) return;
    const replyNo = name === 'IE1' ? 0 : 1;
    if (!state.storedEcho) state.storedEcho = { replyNo, reply };
    else if (state.storedEcho.replyNo === replyNo) return;
    else {
      const [first, second] = replyNo === 1 ? [state.storedEcho.reply, reply] : [reply, state.storedEcho.reply];
      state.tests.set('IE', ieTest(first, second));
    }
    // IP IDs of replies to re-sent echo probes are useless for II.
    if (!retransmitted) state.icmpIpIds[replyNo] = reply.ip.id;
    return;
  }
  const got = tcpReply(packet);
  if (!got) return;
  const { ip, tcp } = got;
  // S and A compare the reply with the probe's own sequence and acknowledgment numbers.
  const sentIp = parseIpv4(probe.sent);
  const sentTcp = sentIp && parseTcp(sentIp);
  if (name.startsWith('SEQ')) {
    const slot = Number(name.slice(3)) - 1;
    if (takeSeqReply(state, slot, ip.id, tcp)) state.tcpIpIds[slot] = ip.id;
    // Whatever the SEQ reply was, it also serves T1 (SEQ1 only), OPS and WIN.
    if (slot === 0 && sentTcp && !state.tests.has('T1')) state.tests.set('T1', tTest(1, ip, tcp, sentTcp));
    takeOpsWin(state, slot, tcp);
  } else if (name.startsWith('OPS')) {
    takeOpsWin(state, Number(name.slice(3)) - 1, tcp);
  } else if (name === 'ECN') {
    if (!state.tests.has('ECN')) state.tests.set('ECN', ecnTest(ip, tcp));
  } else {
    const index = Number(name.slice(1));
    if (!sentTcp || state.tests.has(name)) return;
    state.tests.set(name, tTest(index, ip, tcp, sentTcp));
    if (index >= 5) state.closedIpIds[index - 5] = ip.id;
  }
}

function seqTest(state: RoundState, probes: DecodedProbe[], localhost: boolean): PendingTest | undefined {
  // Nmap keeps send times as timevals: whole microseconds.
  const sendUs = (slot: number) => {
    const first = firstSend(probes, `SEQ${slot + 1}`);
    return first ? Number(first.sentAtNs / 1000n) : 0;
  };
  const samples: SeqSample[] = [];
  state.seq.forEach((s, slot) => {
    if (s && s.isn !== 0) samples.push({ isn: s.isn, tsval: s.tsval, sentUs: sendUs(slot) });
  });
  const compact = (ids: Array<number | undefined>) => ids.filter((id): id is number => id !== undefined);
  const tcpIds = compact(state.tcpIpIds);
  const closedIds = compact(state.closedIpIds);
  const icmpIds = compact(state.icmpIpIds);
  const ti = tcpIds.length >= 3 ? ipIdClass(tcpIds, localhost) : ({ kind: 'unknown' } as const);
  const ci = closedIds.length >= 2 ? ipIdClass(closedIds, localhost) : ({ kind: 'unknown' } as const);
  const ii = icmpIds.length >= 2 ? ipIdClass(icmpIds, localhost) : ({ kind: 'unknown' } as const);
  const attributes: FingerprintAttribute[] = isnTests(samples).map(([name, value]) => ({ name, value }));
  const push = (name: string, value: string | undefined) => {
    if (value !== undefined) attributes.push({ name, value });
  };
  push('TI', ipIdValue(ti));
  push('CI', ipIdValue(ci));
  push('II', ipIdValue(ii));
  push('SS', sharedIpIdSequence(tcpIds, ti, icmpIds, ii));
  push('TS', timestampTest(state.tsClass, samples));
  return attributes.length > 0 ? { name: 'SEQ', attributes } : undefined;
}

function sixOf(prefix: string, name: string, values: Array<string | undefined>): PendingTest | undefined {
  if (values.some((v) => v === undefined)) return undefined;
  return { name, attributes: values.map((value, i) => ({ name: `${prefix}${i + 1}`, value: value as string })) };
}

/** Builds the subject print from one round of probe evidence; pure. Throws OS_EVIDENCE_INVALID on malformed evidence only. */
export function computeOsFingerprint(evidence: OsScanEvidence): OsFingerprintComputation {
  const probes = decodeEvidence(evidence);
  const state: RoundState = {
    seq: new Array(6).fill(undefined),
    tsClass: 'unknown',
    lastIpId: 0,
    tcpIpIds: new Array(6).fill(undefined),
    closedIpIds: new Array(3).fill(undefined),
    icmpIpIds: new Array(2).fill(undefined),
    ops: new Array(6).fill(undefined),
    win: new Array(6).fill(undefined),
    tests: new Map(),
  };
  // Replay every reply in arrival order, as Nmap received them; ties keep evidence order.
  const arrivals = probes.flatMap((probe) => probe.replies.map((reply, n) => ({ probe, reply, order: probe.index * 1e6 + n })));
  arrivals.sort((a, b) => (a.reply.atNs < b.reply.atNs ? -1 : a.reply.atNs > b.reply.atNs ? 1 : a.order - b.order));
  for (const { probe, reply } of arrivals) {
    // A reply that arrives after the probe was sent again is a reply to a retransmission.
    const retransmitted = probes.some((p) => p.name === probe.name && p !== firstSend(probes, p.name) && p.sentAtNs < reply.atNs);
    processReply(state, probe, reply.packet, retransmitted);
  }

  const tests = state.tests;
  const seq = seqTest(state, probes, evidence.localhost === true);
  if (seq) tests.set('SEQ', seq);
  const ops = sixOf('O', 'OPS', state.ops);
  if (ops) tests.set('OPS', ops);
  const win = sixOf('W', 'WIN', state.win);
  if (win) tests.set('WIN', win);
  const noReply = (name: string) => {
    if (!tests.has(name)) tests.set(name, { name, attributes: [{ name: 'R', value: 'N' }] });
  };
  if (evidence.openTcpPort !== undefined) for (const name of ['ECN', 'T1', 'T2', 'T3', 'T4']) noReply(name);
  if (evidence.closedTcpPort !== undefined) for (const name of ['T5', 'T6', 'T7']) noReply(name);
  noReply('U1');
  noReply('IE');

  const finalTests: FingerprintTest[] = [];
  for (const name of TEST_ORDER) {
    const test = tests.get(name);
    if (!test) continue;
    finalTests.push({ name, attributes: test.attributes.map((a) => (a.name === 'T' && test.rawTtl !== undefined ? finalTtl(test.rawTtl, state.hops) : a)) });
  }

  const distance = state.hops === undefined ? undefined : state.hops + 1;
  const seq1 = firstSend(probes, 'SEQ1');
  const seq6 = firstSend(probes, 'SEQ6');
  const timingRatio = seq1 && seq6 ? Number(seq6.sentAtNs - seq1.sentAtNs) / 500e6 : undefined;
  const result: OsFingerprintComputation = { fingerprint: { tests: finalTests }, nonIdealReasons: nonIdeal(evidence, distance, timingRatio, state) };
  if (distance !== undefined) result.distance = distance;
  if (timingRatio !== undefined) result.timingRatio = timingRatio;
  return result;
}

function firstSend(probes: DecodedProbe[], name: string): DecodedProbe | undefined {
  let first: DecodedProbe | undefined;
  for (const p of probes) if (p.name === name && (!first || p.sentAtNs < first.sentAtNs)) first = p;
  return first;
}

/** T = initial TTL from the true distance (U1), else TG = the guessed initial TTL. */
function finalTtl(ttl: number, hops: number | undefined): FingerprintAttribute {
  if (hops !== undefined) return { name: 'T', value: hex((ttl + hops) & 0xffff) };
  return { name: 'TG', value: hex(initialTtlGuess(ttl)) };
}

/** C's %e: at least two exponent digits. */
function cExponent(x: number): string {
  return x.toExponential(6).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Nmap's OmitSubmissionFP reasons that evidence can tell. */
function nonIdeal(evidence: OsScanEvidence, distance: number | undefined, timingRatio: number | undefined, state: RoundState): string[] {
  const reasons: string[] = [];
  if (evidence.openTcpPort === undefined) reasons.push('Missing an open TCP port so results incomplete');
  if (evidence.closedTcpPort === undefined) reasons.push('Missing a closed TCP port so results incomplete');
  if (distance !== undefined && (distance > 5 || distance < 0)) reasons.push(`Host distance (${distance} network hops) is greater than five`);
  if (timingRatio !== undefined && timingRatio > 1.4) reasons.push(`maxTimingRatio (${cExponent(timingRatio)}) is greater than 1.4`);
  const u1Replied = state.tests.get('U1')?.attributes[0]?.value === 'Y';
  if (evidence.closedUdpPort === undefined && !u1Replied && !evidence.udpScanned) {
    reasons.push("Didn't receive UDP response. Please try again with -sSU");
  }
  return reasons;
}

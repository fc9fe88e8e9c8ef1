// AMQP 0-9-1: Connection.Start's server-properties (amqp.server_properties), mechanisms and locales.
import type { Probe } from '../../shared/types.ts';
import { startRun } from './io/run.ts';
import { grabBanner } from './io/tcp.ts';
import { AMQP_091_HEADER, amqpReplyComplete, parseAmqpStart } from './parse/amqp.ts';

export const amqpProbe: Probe = {
  name: 'amqp',
  transport: 'tcp',
  defaultPorts: [5672],
  run(target, ctx) {
    const run = startRun('amqp', target, 'tcp', 5672);
    return grabBanner(run, ctx, { send: AMQP_091_HEADER, complete: amqpReplyComplete }, (read) => {
      const r = parseAmqpStart(read.bytes);
      if (r.protocolHeader) {
        run.fact('amqp.protocol_header', r.protocolHeader, read.bytes.subarray(0, 8));
        return run.finish('no-match', r.error);
      }
      if (r.serverProperties === undefined) {
        run.rawOnly('amqp.received', read.bytes);
        return run.finish(r.frame ? 'protocol-error' : 'no-match', r.error);
      }
      run.fact('amqp.server_properties', r.serverProperties, r.frame);
      run.fact('amqp.version', `${r.versionMajor}-${r.versionMinor}`);
      run.fact('amqp.mechanisms', r.mechanisms);
      run.fact('amqp.locales', r.locales);
      return run.finish(r.error ? 'protocol-error' : 'success', r.error);
    });
  },
};

// Prints every NATS message on a subject as one JSON line {subject, body}
// until SIGTERM/SIGINT (quickstart.sh uses it to show what the collector published).
// Usage: node --import tsx deploy/nats-tail.ts nats://127.0.0.1:4222 'sextant.assets.>'
import { connect } from '@nats-io/transport-node';

const [url = 'nats://127.0.0.1:4222', subject = 'sextant.assets.>'] = process.argv.slice(2);
const nc = await connect({ servers: url });
const sub = nc.subscribe(subject);
const stop = () => void nc.drain();
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stderr.write(`nats-tail: listening on ${subject}\n`);
for await (const m of sub) {
  let body: unknown = m.string();
  try {
    body = m.json();
  } catch {
    // not JSON: printed as text
  }
  process.stdout.write(`${JSON.stringify({ subject: m.subject, body })}\n`);
}

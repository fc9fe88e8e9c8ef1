import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import multicastDns from 'multicast-dns';
import { mdnsProbe } from '../../../agent/probes/index.ts';
import { ctx } from './support.ts';

// Real mDNS needs a test network namespace (network-safety.md). Here a responder runs with multicast off,
// bound to 127.0.0.1, so every packet stays on loopback: it checks the probe's two unicast rounds.
describe('the mdns probe against a unicast responder on 127.0.0.1', () => {
  it('learns the host name, then asks for its _device-info TXT record', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const responder = multicastDns({ multicast: false, port, bind: '127.0.0.1' } as never);
    const asked: string[] = [];
    responder.on('query', (q, rinfo) => {
      for (const question of q.questions) {
        asked.push(`${question.type} ${question.name}`);
        if (question.name === '1.0.0.127.in-addr.arpa') responder.respond({ answers: [{ name: question.name, type: 'PTR', data: 'studio.local' }] }, rinfo);
        if (question.name === '_services._dns-sd._udp.local') responder.respond({ answers: [{ name: question.name, type: 'PTR', data: '_ssh._tcp.local' }] }, rinfo);
        if (question.name === 'studio._device-info._tcp.local') {
          responder.respond({ answers: [{ name: question.name, type: 'TXT', data: ['model=MacBookPro18,3', 'osxvers=21'] }] }, rinfo);
        }
      }
    });
    await new Promise<void>((resolve) => responder.once('ready', () => resolve()));
    try {
      const r = await mdnsProbe.run({ ip: '127.0.0.1', port }, ctx(600));
      assert.equal(r.status, 'success', r.error);
      assert.equal(r.facts?.['mdns.name'], 'studio.local');
      assert.equal(r.facts?.['mdns.services'], '_ssh._tcp.local');
      assert.equal(r.facts?.['mdns.device-info.txt'], 'model=MacBookPro18,3\nosxvers=21');
      assert.ok(asked.includes('TXT studio._device-info._tcp.local'));
    } finally {
      responder.destroy();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createGate, createRateLimiter } from '../../../agent/index.ts';

describe('pacing', () => {
  it('the rate limiter holds the packet rate it is given', async () => {
    const limiter = createRateLimiter(2000);
    const started = performance.now();
    for (let i = 0; i < 400; i++) await limiter.take();
    const seconds = (performance.now() - started) / 1000;
    // 400 packets at 2,000/s: about 0.2 s (less the initial burst of 40).
    assert.ok(seconds >= 0.15, `took ${seconds}s`);
    assert.ok(seconds < 1.0, `took ${seconds}s`);
  });

  it('an aborted wait rejects and leaves the queue', async () => {
    const limiter = createRateLimiter(1);
    await limiter.take();
    const ac = new AbortController();
    const waiting = limiter.take(1, ac.signal);
    ac.abort(new Error('stop'));
    await assert.rejects(waiting, /stop/);
  });

  it('the gate never lets more than its limit run at once', async () => {
    const gate = createGate(3);
    let active = 0;
    let peak = 0;
    await Promise.all(Array.from({ length: 20 }, () => gate.run(async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 2));
      active--;
    })));
    assert.equal(peak, 3);
    assert.equal(gate.active, 0);
  });
});

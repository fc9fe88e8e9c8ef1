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

  it('grants packets synchronously to a self-paced sender, never more than the bucket holds, and serves queued takers first', async () => {
    let t = 0;
    const limiter = createRateLimiter(1000, () => t);
    // The burst is 1/50 s of the rate: 20 packets.
    assert.equal(limiter.tryTake(128), 20);
    assert.equal(limiter.tryTake(128), 0);
    assert.equal(limiter.msUntilNext(), 1);
    t += 5;
    assert.equal(limiter.tryTake(128), 5);
    limiter.refund(3);
    assert.equal(limiter.tryTake(2), 2);
    assert.equal(limiter.tryTake(128), 1);
    t += 1000;
    assert.equal(limiter.tryTake(1000), 20, 'a long pause refills no more than the burst');
    // Someone waiting in take() goes before the synchronous sender.
    const waiting = limiter.take(1);
    t += 10;
    assert.equal(limiter.tryTake(128), 0);
    await waiting;
    assert.ok(limiter.tryTake(128) > 0);
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

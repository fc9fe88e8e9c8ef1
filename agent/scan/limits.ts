// Pacing for everything the agent sends: a token bucket for packets per second
// and a counting gate for work in flight (hosts, sockets).

export interface RateLimiter {
  /** Resolves once `n` packets may go; rejects only when `signal` aborts. */
  take(n?: number, signal?: AbortSignal): Promise<void>;
  /**
   * Takes up to `max` packets' worth at once, without a promise, for senders
   * that pace themselves (the SYN scanner); 0 while anyone waits in `take`,
   * so those are served first.
   */
  tryTake(max: number): number;
  /** Gives back what `tryTake` granted but was not sent. */
  refund(n: number): void;
  /** Milliseconds until at least one packet may go (0 = now). */
  msUntilNext(): number;
  readonly ratePps: number;
}

/** Bursts are capped at 1/50 s worth of packets, so the average holds over any 20 ms window or longer. */
export function createRateLimiter(ratePps: number, now: () => number = () => performance.now()): RateLimiter {
  const rate = Math.max(1, ratePps);
  const burst = Math.max(1, Math.ceil(rate / 50));
  let tokens = burst;
  let last = now();
  const queue: Array<{ n: number; resolve: () => void; reject: (e: unknown) => void; signal: AbortSignal | undefined; onAbort: () => void }> = [];
  let timer: NodeJS.Timeout | undefined;

  function refill() {
    const t = now();
    tokens = Math.min(burst, tokens + ((t - last) * rate) / 1000);
    last = t;
  }
  function pump() {
    timer = undefined;
    refill();
    while (queue.length > 0 && tokens >= Math.min(queue[0]!.n, burst)) {
      const w = queue.shift()!;
      tokens -= w.n;
      w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve();
    }
    if (queue.length > 0) {
      const need = Math.min(queue[0]!.n, burst) - tokens;
      timer = setTimeout(pump, Math.max(1, Math.ceil((need * 1000) / rate)));
    }
  }
  return {
    ratePps: rate,
    tryTake(max) {
      if (queue.length > 0) return 0;
      refill();
      const n = Math.max(0, Math.min(max, Math.floor(tokens)));
      tokens -= n;
      return n;
    },
    refund(n) {
      tokens = Math.min(burst, tokens + Math.max(0, n));
    },
    msUntilNext() {
      refill();
      return tokens >= 1 && queue.length === 0 ? 0 : Math.max(1, Math.ceil(((1 - tokens) * 1000) / rate));
    },
    take(n = 1, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
      refill();
      if (queue.length === 0 && tokens >= Math.min(n, burst)) {
        tokens -= n;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const w = {
          n, resolve, reject, signal,
          onAbort: () => {
            const i = queue.indexOf(w);
            if (i >= 0) queue.splice(i, 1);
            reject(signal?.reason ?? new Error('aborted'));
          },
        };
        signal?.addEventListener('abort', w.onAbort, { once: true });
        queue.push(w);
        if (!timer) pump();
      });
    },
  };
}

export interface Gate {
  /** Runs `fn` once fewer than `limit` runs are in flight. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  readonly active: number;
}

export function createGate(limit: number): Gate {
  const max = Math.max(1, limit);
  let active = 0;
  const waiting: Array<() => void> = [];
  return {
    get active() {
      return active;
    },
    async run(fn) {
      // A finishing run hands its slot straight to the next waiter, so `active` never overshoots.
      if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
      else active++;
      try {
        return await fn();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else active--;
      }
    },
  };
}

// Time for the flasher and the stand-in devices. Every wait in the flasher goes through a Clock, so tests run
// the whole protocol in simulated time (timeouts of seconds cost nothing, nothing depends on the machine's speed)
// and a hang shows up as "nothing left to do" instead of a stuck test.

export interface Clock {
  /** milliseconds */
  now(): number;
  setTimer(ms: number, fn: () => void): number;
  clearTimer(id: number): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimer: (ms, fn) => setTimeout(fn, ms) as unknown as number,
  clearTimer: (id) => clearTimeout(id as unknown as NodeJS.Timeout),
};

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** Lets every pending promise continuation run before simulated time moves on. */
const settle = () => new Promise<void>((r) => setImmediate(r));

export class SimClock implements Clock {
  private t = 0;
  private nextId = 1;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): number {
    const timer = { id: this.nextId++, at: this.t + Math.max(0, ms), fn };
    // keep timers sorted by time, ties in the order they were set
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.at > timer.at) i--;
    this.timers.splice(i, 0, timer);
    return timer.id;
  }

  clearTimer(id: number): void {
    const i = this.timers.findIndex((t) => t.id === id);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Timers still pending. */
  get pending(): number {
    return this.timers.length;
  }

  /**
   * Drives simulated time until `work` settles: lets promise continuations run, then fires the earliest timer,
   * and so on. Work that waits on nothing that can ever happen (no timer left) or runs past `limitMs` of
   * simulated time is a hang and throws.
   */
  async run<T>(work: Promise<T>, limitMs = 3_600_000): Promise<T> {
    let done = false;
    work.then(
      () => (done = true),
      () => (done = true),
    );
    const start = this.t;
    for (;;) {
      await settle();
      if (done) return work;
      const next = this.timers.shift();
      if (!next) throw new Error(`hang: the work waits at simulated time ${this.t} ms with no timer pending`);
      if (next.at - start > limitMs) throw new Error(`hang: the work ran past ${limitMs} ms of simulated time`);
      this.t = next.at;
      next.fn();
    }
  }
}

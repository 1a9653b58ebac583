import type { Clock } from './clock.js';
import { rng } from './rng.js';
import type { Transport } from './transport.js';

// An in-memory duplex byte pipe between a host and a device, optionally unreliable: it splits writes into
// pieces, delays them, and drops, corrupts and duplicates bytes with seeded probabilities. Order is kept (a UART
// does not reorder). Tests run it on a SimClock.

export interface LinkFaults {
  /** probability that a byte is lost */
  drop: number;
  /** probability that a byte arrives with random bits flipped */
  corrupt: number;
  /** probability that a byte arrives twice */
  duplicate: number;
  /** each piece arrives after 0..maxDelayMs (never before an earlier piece) */
  maxDelayMs: number;
  /** writes are cut into pieces of 1..maxPiece bytes */
  maxPiece: number;
}

export const noFaults: LinkFaults = { drop: 0, corrupt: 0, duplicate: 0, maxDelayMs: 0, maxPiece: 1 << 30 };

export interface LinkStats {
  bytes: number;
  dropped: number;
  corrupted: number;
  duplicated: number;
}

export interface Link {
  host: Transport;
  device: Transport;
  faults: LinkFaults;
  stats: LinkStats;
}

export function memoryLink(clock: Clock, faults: Partial<LinkFaults> = {}, seed = 1): Link {
  const f: LinkFaults = { ...noFaults, ...faults };
  const r = rng(seed);
  const stats: LinkStats = { bytes: 0, dropped: 0, corrupted: 0, duplicated: 0 };
  const receivers: [(b: Uint8Array) => void, (b: Uint8Array) => void] = [() => {}, () => {}];
  const lastAt = [0, 0];
  let closed = false;

  const damage = (piece: Uint8Array): Uint8Array => {
    if (f.drop === 0 && f.corrupt === 0 && f.duplicate === 0) return piece;
    const out: number[] = [];
    for (const b of piece) {
      stats.bytes++;
      if (r() < f.drop) {
        stats.dropped++;
        continue;
      }
      let x = b;
      if (r() < f.corrupt) {
        stats.corrupted++;
        x ^= 1 + Math.floor(r() * 255);
      }
      out.push(x);
      if (r() < f.duplicate) {
        stats.duplicated++;
        out.push(x);
      }
    }
    return Uint8Array.from(out);
  };

  /** bytes written at end `from` arrive at the other end */
  const send = (from: 0 | 1, bytes: Uint8Array) => {
    if (closed) return;
    const to = (1 - from) as 0 | 1;
    for (let at = 0; at < bytes.length; ) {
      const n = Math.min(bytes.length - at, 1 + Math.floor(r() * f.maxPiece));
      const piece = damage(bytes.slice(at, at + n));
      at += n;
      const when = Math.max(lastAt[from]!, clock.now() + Math.floor(r() * (f.maxDelayMs + 1)));
      lastAt[from] = when;
      if (piece.length) clock.setTimer(when - clock.now(), () => !closed && receivers[to](piece));
    }
  };

  const end = (k: 0 | 1, name: string): Transport => ({
    name,
    write: (b) => send(k, b),
    onData: (fn) => (receivers[k] = fn),
    close: async () => {
      closed = true;
    },
  });
  return { host: end(0, 'memory link (host end)'), device: end(1, 'memory link (device end)'), faults: f, stats };
}

import { fail, QtError } from '@qtool/ir';
import {
  acceptVersion,
  crc32,
  decodeReply,
  encodeRequest,
  ErrorCode,
  errorName,
  FrameDecoder,
  MAX_INPUT_DATA,
  MAX_LOAD_DATA,
  MAX_OUTPUT_DATA,
  MAX_READ_DATA,
  PROTOCOL_VERSION,
  type DeviceInfo,
  type ErrorReply,
  type Frame,
  type Mode,
  type Reply,
  type Request,
  type RequestKind,
} from '@qtool/protocol';
import { realClock, type Clock } from './clock.js';
import type { Transport } from './transport.js';

// The host side of docs/protocol.md: one request at a time, each retried with the same seq on a timeout or a
// damaged reply, every failure a coded error naming the request and its seq.

/** docs/protocol.md, "Timeouts (host)", in ms. */
export const defaultTimeouts: Record<RequestKind, number> = {
  HELLO: 2500,
  INFO: 1000,
  LOAD: 1000,
  VERIFY: 5000,
  INPUT: 1000,
  RUN: 30000,
  OUTPUT: 1000,
  READ: 30000,
  PROFILE: 30000,
  RESET: 1000,
};

export interface FlasherOptions {
  clock?: Clock;
  /** retries of one request after its first attempt (docs: 5) */
  retries?: number;
  timeouts?: Partial<Record<RequestKind, number>>;
  /** the first seq (default random, so a restarted flasher does not repeat the last request's seq) */
  firstSeq?: number;
  /** scales RUN/READ/PROFILE timeouts (a big model on a slow core) */
  runTimeoutScale?: number;
}

export interface FlasherStats {
  requests: number;
  retries: number;
  timeouts: number;
  badReplies: number;
  staleReplies: number;
}

export interface LoadStats {
  chunks: number;
  resumes: number;
  restarts: number;
  /** times a LOAD gave up and was sent again as a smaller chunk (a noisy line) */
  shrinks: number;
}

/** LOAD chunks never shrink below this (a line that damages 100-byte frames is not worth loading over) */
const MIN_LOAD_CHUNK = 128;

type Outcome = { kind: 'frame'; frame: Frame } | { kind: 'timeout' } | { kind: 'damaged' };

export class Flasher {
  private readonly clock: Clock;
  private readonly decoder = new FrameDecoder();
  private readonly timeouts: Record<RequestKind, number>;
  private readonly retries: number;
  private seq: number;
  private waiter: { seq: number; settle: (o: Outcome) => void } | null = null;
  readonly stats: FlasherStats = { requests: 0, retries: 0, timeouts: 0, badReplies: 0, staleReplies: 0 };
  /** attempts the last request took (1: answered first time) */
  lastAttempts = 0;
  /** set by hello() */
  mode?: Mode;
  version?: number;

  constructor(
    readonly transport: Transport,
    opts: FlasherOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.retries = opts.retries ?? 5;
    const scale = opts.runTimeoutScale ?? 1;
    this.timeouts = { ...defaultTimeouts, RUN: defaultTimeouts.RUN * scale, READ: defaultTimeouts.READ * scale, PROFILE: defaultTimeouts.PROFILE * scale, ...opts.timeouts };
    this.seq = (opts.firstSeq ?? Math.floor(Math.random() * 0x10000)) & 0xffff;
    transport.onData((chunk) => this.receive(chunk));
  }

  private receive(chunk: Uint8Array): void {
    for (const ev of this.decoder.push(chunk)) {
      const w = this.waiter;
      if (ev.kind === 'frame') {
        if (w && ev.frame.seq === w.seq) w.settle({ kind: 'frame', frame: ev.frame });
        else this.stats.staleReplies++; // a late reply to an earlier attempt, or a resend we no longer need
      } else {
        this.stats.badReplies++;
        // a damaged reply to this request: retry now instead of waiting for the timeout
        if (w && ev.header.seq === w.seq) w.settle({ kind: 'damaged' });
      }
    }
  }

  private wait(seq: number, ms: number): Promise<Outcome> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(ms, () => settle({ kind: 'timeout' }));
      const settle = (o: Outcome) => {
        if (this.waiter?.seq !== seq) return;
        this.waiter = null;
        this.clock.clearTimer(timer);
        resolve(o);
      };
      this.waiter = { seq, settle };
    });
  }

  /**
   * Sends one request and returns its reply (an error reply included, for the caller to judge). Retries with the
   * same seq after a timeout, a damaged reply, or E_BAD_CRC/E_BAD_FRAME; gives up with QT602 after the retries.
   */
  async request(req: Request, attempts = 1 + this.retries): Promise<Reply> {
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xffff;
    const frame = encodeRequest(req, seq);
    const timeout = this.timeouts[req.kind];
    let last = 'no reply';
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) this.stats.retries++;
      this.stats.requests++;
      this.lastAttempts = attempt + 1;
      // whatever partial frame the decoder holds now is a damaged reply of an earlier attempt: drop it, so it
      // cannot swallow the reply to this one
      while (this.decoder.pending > 0) this.decoder.expire();
      const outcome = this.wait(seq, timeout);
      this.transport.write(frame);
      const o = await outcome;
      if (o.kind === 'timeout') {
        this.stats.timeouts++;
        last = `no reply within ${timeout} ms`;
        continue;
      }
      if (o.kind === 'damaged') {
        last = 'damaged reply';
        continue;
      }
      let reply: Reply;
      try {
        reply = decodeReply(o.frame);
      } catch (e) {
        fail('QT600', `${req.kind} seq ${seq}: malformed reply: ${(e as Error).message}`);
      }
      if (reply.kind === 'ERROR' && (reply.code === ErrorCode.E_BAD_CRC || reply.code === ErrorCode.E_BAD_FRAME)) {
        last = `device answered ${errorName(reply.code)}`;
        continue;
      }
      if (reply.kind !== 'ERROR' && reply.kind !== req.kind) fail('QT600', `${req.kind} seq ${seq}: the device answered with a ${reply.kind} reply`);
      return reply;
    }
    fail('QT602', `${req.kind} seq ${seq}: gave up after ${attempts} attempts on ${this.transport.name} (last: ${last})`);
  }

  /** A reply of the request's kind, or QT601 naming the request, its seq and the device's error. */
  async call<K extends RequestKind>(req: Extract<Request, { kind: K }>): Promise<Extract<Reply, { kind: K }>> {
    const seq = this.seq;
    const r = await this.request(req);
    if (r.kind === 'ERROR') deviceError(req.kind, seq, r);
    return r as Extract<Reply, { kind: K }>;
  }

  /**
   * HELLO until the device answers: the first attempts may vanish (QEMU drops a pty's output until it sees the
   * reader, polling once a second), so HELLO gets its own, longer retry budget. Negotiates the version (QT604).
   */
  async hello(attempts = 8): Promise<{ version: number; mode: Mode }> {
    const seq = this.seq;
    const r = await this.request({ kind: 'HELLO', version: PROTOCOL_VERSION }, attempts);
    if (r.kind === 'ERROR') deviceError('HELLO', seq, r);
    if (r.kind !== 'HELLO') fail('QT600', `HELLO seq ${seq}: unexpected reply`);
    this.version = acceptVersion(r.version);
    this.mode = r.mode;
    return { version: r.version, mode: r.mode };
  }

  async info(): Promise<DeviceInfo> {
    return (await this.call({ kind: 'INFO' })).info;
  }

  /**
   * LOADs an image into the staging area, resuming at the offset the device names after a lost reply or a
   * device reset (E_BAD_OFFSET). A chunk whose retries all fail is sent again, as a new request, at half the
   * size (a noisy line damages long frames most); the size grows back after a run of clean chunks. Gives up
   * (QT602) when the load stops making progress.
   */
  async load(image: Uint8Array, onProgress?: (done: number, total: number) => void): Promise<LoadStats> {
    const total = image.length;
    const chunks = Math.ceil(total / MAX_LOAD_DATA);
    const stats: LoadStats = { chunks: 0, resumes: 0, restarts: 0, shrinks: 0 };
    const budget = 4 * chunks + 16;
    let offset = 0;
    let sent = 0;
    let size = MAX_LOAD_DATA;
    let clean = 0;
    do {
      if (++sent > budget) fail('QT602', `LOAD: no progress after ${budget} requests for ${chunks} chunks (the device keeps losing the staged image)`);
      const data = image.subarray(offset, offset + size);
      const seq = this.seq;
      let r: Reply;
      try {
        r = await this.request({ kind: 'LOAD', offset, total, data });
      } catch (e) {
        if (!(e instanceof QtError) || e.diagnostics[0]!.code !== 'QT602' || size <= MIN_LOAD_CHUNK) throw e;
        size = Math.max(MIN_LOAD_CHUNK, size >> 1);
        stats.shrinks++;
        clean = 0;
        continue;
      }
      if (this.lastAttempts === 1 && ++clean >= 8 && size < MAX_LOAD_DATA) {
        size = Math.min(MAX_LOAD_DATA, size * 2);
        clean = 0;
      }
      if (r.kind === 'LOAD') {
        if (r.next > total) fail('QT601', `LOAD seq ${seq}: the device expects offset ${r.next}, beyond the image's ${total} bytes`);
        stats.chunks++;
        offset = r.next;
      } else if (r.kind === 'ERROR' && r.code === ErrorCode.E_BAD_OFFSET) {
        const resume = r.expected !== undefined && r.expected <= total ? r.expected : 0;
        if (resume === 0) stats.restarts++;
        else stats.resumes++;
        offset = resume;
      } else deviceError('LOAD', seq, r as ErrorReply);
      onProgress?.(offset, total);
    } while (offset < total);
    return stats;
  }

  /**
   * Blob deploy: LOAD, VERIFY (the device switches only when its CRC matches), then INFO must report the new
   * model active. Success is never reported on anything less. A staged image lost to a reset is loaded again.
   */
  async deploy(image: Uint8Array, modelHash: string, onProgress?: (done: number, total: number) => void): Promise<LoadStats> {
    const total = image.length;
    const crc = crc32(image);
    const stats: LoadStats = { chunks: 0, resumes: 0, restarts: 0, shrinks: 0 };
    for (let round = 0; ; round++) {
      if (round === 4) fail('QT602', `VERIFY: the device lost the staged image ${round} times`);
      const s = await this.load(image, onProgress);
      stats.chunks += s.chunks;
      stats.resumes += s.resumes;
      stats.shrinks += s.shrinks;
      stats.restarts += s.restarts + (round > 0 ? 1 : 0);
      const seq = this.seq;
      const r = await this.request({ kind: 'VERIFY', total, crc });
      if (r.kind === 'VERIFY') {
        if (r.crc !== crc) fail('QT601', `VERIFY seq ${seq}: the device accepted an image with CRC ${hex(r.crc)}, expected ${hex(crc)}`);
        break;
      }
      const e = r as ErrorReply;
      // staging lost (reset) or incomplete: load again; anything else is the device refusing the image
      if (e.code !== ErrorCode.E_NO_MODEL && e.code !== ErrorCode.E_BAD_OFFSET && e.code !== ErrorCode.E_VERIFY) deviceError('VERIFY', seq, e);
    }
    const info = await this.info();
    if (info.state !== 'active' || info.modelHash !== modelHash)
      fail('QT605', `after VERIFY the device reports model ${info.modelHash || '(none)'} (${info.state}), expected ${modelHash}`);
    return stats;
  }

  /** INPUT (resumable) then RUN, and OUTPUT for what did not fit the RUN reply: the concatenated outputs. */
  async run(input: Uint8Array): Promise<{ output: Uint8Array; cycles: number }> {
    for (let round = 0; ; round++) {
      let offset = 0;
      let sent = 0;
      const budget = 4 * Math.ceil(input.length / MAX_INPUT_DATA) + 8;
      while (offset < input.length || sent === 0) {
        if (++sent > budget) fail('QT602', 'INPUT: no progress (the device keeps losing the input)');
        const seq = this.seq;
        const r = await this.request({ kind: 'INPUT', offset, data: input.subarray(offset, offset + MAX_INPUT_DATA) });
        if (r.kind === 'INPUT') offset = r.held;
        else if (r.kind === 'ERROR' && r.code === ErrorCode.E_BAD_OFFSET) offset = r.expected !== undefined && r.expected <= input.length ? r.expected : 0;
        else deviceError('INPUT', seq, r as ErrorReply);
      }
      const seq = this.seq;
      const r = await this.request({ kind: 'RUN' });
      if (r.kind === 'ERROR') {
        // the device lost the input (a reset between INPUT and RUN): send it again, once
        if (r.code === ErrorCode.E_BAD_LENGTH && round === 0) continue;
        deviceError('RUN', seq, r);
      }
      if (r.kind !== 'RUN') fail('QT600', `RUN seq ${seq}: unexpected reply`);
      if (r.status !== 0) fail('QT601', `RUN seq ${seq}: the device reports status ${r.status}`);
      const output = new Uint8Array(r.outputBytes);
      output.set(r.output.subarray(0, r.outputBytes));
      for (let at = r.output.length; at < r.outputBytes; ) {
        const o = await this.call({ kind: 'OUTPUT', offset: at, length: Math.min(MAX_OUTPUT_DATA, r.outputBytes - at) });
        if (o.data.length === 0) fail('QT601', `OUTPUT at ${at}: the device returned no bytes`);
        output.set(o.data, at);
        at += o.data.length;
      }
      return { output, cycles: r.cycles };
    }
  }

  /** One layer's output tensor for the last input (the device re-runs up to that layer). */
  async read(layer: number): Promise<Uint8Array> {
    const first = await this.call({ kind: 'READ', layer, offset: 0, length: MAX_READ_DATA });
    const out = new Uint8Array(first.tensorBytes);
    out.set(first.data.subarray(0, first.tensorBytes));
    for (let at = first.data.length; at < first.tensorBytes; ) {
      const r = await this.call({ kind: 'READ', layer, offset: at, length: Math.min(MAX_READ_DATA, first.tensorBytes - at) });
      if (r.data.length === 0) fail('QT601', `READ layer ${layer} at ${at}: the device returned no bytes`);
      out.set(r.data, at);
      at += r.data.length;
    }
    return out;
  }

  async profile(): Promise<number[]> {
    return (await this.call({ kind: 'PROFILE' })).cycles;
  }

  /** RESET, then HELLO until the device is back. */
  async reset(): Promise<void> {
    await this.call({ kind: 'RESET' });
    await this.hello();
  }
}

function deviceError(kind: RequestKind, seq: number, r: ErrorReply): never {
  fail('QT601', `${kind} seq ${seq}: the device answered ${errorName(r.code)}${r.message ? `: ${r.message}` : ''}`);
}

const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

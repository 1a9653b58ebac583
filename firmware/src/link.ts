import { SerialPort } from 'serialport';
import { decodeReply, encodeRequest, errorName, FrameDecoder, type Reply, type Request } from '@qtool/protocol';
import { fail, QtError } from '@qtool/ir';

// A minimal host side of docs/protocol.md for the firmware's own tests and `qtool bench`: one request at a
// time, a timeout per request kind, retries with the same seq. The full client (progress, LOAD, compare with
// the simulator) is @qtool/flasher's.

/** docs/protocol.md, "Timeouts (host)". */
export const requestTimeoutMs: Record<Request['kind'], number> = {
  HELLO: 2500,
  INFO: 1000,
  LOAD: 1000,
  VERIFY: 5000,
  INPUT: 1000,
  RUN: 30_000,
  OUTPUT: 1000,
  READ: 30_000,
  PROFILE: 30_000,
  RESET: 1000,
};

type OkReply<K extends Request['kind']> = Extract<Reply, { kind: K }>;

export class DeviceLink {
  private decoder = new FrameDecoder();
  /** docs/protocol.md: start at a random seq, so a restarted host does not repeat the one answered last */
  private seq = 1 + Math.floor(Math.random() * 0xfffe);
  private waiter?: { seq: number; resolve: (r: Reply) => void };
  /** replies whose frame did not match the request awaited (stale duplicates) */
  stray = 0;

  private constructor(private port: SerialPort) {
    port.on('data', (chunk: Buffer) => {
      for (const ev of this.decoder.push(chunk)) {
        if (ev.kind !== 'frame') continue;
        const w = this.waiter;
        if (w && ev.frame.seq === w.seq) {
          this.waiter = undefined;
          w.resolve(decodeReply(ev.frame));
        } else this.stray++;
      }
    });
  }

  /** Opens a serial port (a pty from launchQemu, or /dev/ttyACM0) raw, 115200 8N1. */
  static async open(path: string): Promise<DeviceLink> {
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(new QtError({ code: 'QT606', message: `${path}: ${e.message}` })) : res())));
    return new DeviceLink(port);
  }

  /**
   * Sends one request and waits for its reply, retrying with the same seq after each timeout (the device resends
   * a duplicate's reply without acting twice). An error reply throws QT601; no reply after `retries` QT602.
   */
  async request<K extends Request['kind']>(req: Extract<Request, { kind: K }>, o: { timeoutMs?: number; retries?: number } = {}): Promise<OkReply<K>> {
    const seq = this.nextSeq();
    const frame = encodeRequest(req, seq);
    const timeoutMs = o.timeoutMs ?? requestTimeoutMs[req.kind];
    const tries = 1 + (o.retries ?? 5);
    for (let attempt = 0; attempt < tries; attempt++) {
      const reply = await this.exchange(frame, seq, timeoutMs);
      if (!reply) continue;
      if (reply.kind === 'ERROR') fail('QT601', `${req.kind}: the device answered ${errorName(reply.code)}: ${reply.message}`);
      if (reply.kind !== req.kind) fail('QT600', `${req.kind}: the device answered with a ${reply.kind} reply`);
      return reply as OkReply<K>;
    }
    fail('QT602', `${req.kind}: no reply after ${tries} tries of ${timeoutMs} ms`);
  }

  /** A fresh sequence number (1..65535). */
  nextSeq(): number {
    const seq = this.seq;
    this.seq = (this.seq + 1) & 0xffff || 1;
    return seq;
  }

  /** Writes raw bytes (tests: partial frames, damaged frames, garbage). */
  async write(bytes: Uint8Array): Promise<void> {
    await new Promise<void>((res, rej) => this.port.write(Buffer.from(bytes), (e) => (e ? rej(e) : res())));
    await new Promise<void>((res, rej) => this.port.drain((e) => (e ? rej(e) : res())));
  }

  /** Sends frame bytes once and waits for the reply frame carrying `seq` (undefined after timeoutMs). */
  exchange(frame: Uint8Array, seq: number, timeoutMs: number): Promise<Reply | undefined> {
    return new Promise<Reply | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        this.decoder.expire();
        resolve(undefined);
      }, timeoutMs);
      this.waiter = {
        seq,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      this.port.write(Buffer.from(frame));
    });
  }

  /** HELLO until the device answers (QEMU connects a pty's reader about once a second). */
  async hello(version = 1, retries = 8): Promise<OkReply<'HELLO'>> {
    return this.request({ kind: 'HELLO', version }, { retries });
  }

  /** Sends all input bytes (INPUT in chunks of up to 1020 bytes), runs, and reads every output byte. */
  async infer(input: Uint8Array, outputBytes: number): Promise<{ output: Uint8Array; cycles: number }> {
    for (let off = 0; off < input.length || off === 0; off += 1020) {
      const r = await this.request({ kind: 'INPUT', offset: off, data: input.subarray(off, off + 1020) });
      if (r.held !== Math.min(input.length, off + 1020)) fail('QT600', `INPUT: the device holds ${r.held} bytes, expected ${Math.min(input.length, off + 1020)}`);
      if (input.length === 0) break;
    }
    const run = await this.request({ kind: 'RUN' });
    if (run.outputBytes !== outputBytes) fail('QT605', `the device's model has ${run.outputBytes} output bytes, the folder's ${outputBytes}`);
    const output = new Uint8Array(outputBytes);
    output.set(run.output.subarray(0, outputBytes));
    for (let off = run.output.length; off < outputBytes; ) {
      const r = await this.request({ kind: 'OUTPUT', offset: off, length: Math.min(1024, outputBytes - off) });
      if (r.data.length === 0) fail('QT600', `OUTPUT at ${off}: no bytes`);
      output.set(r.data, off);
      off += r.data.length;
    }
    return { output, cycles: run.cycles };
  }

  async close(): Promise<void> {
    if (!this.port.isOpen) return;
    await new Promise<void>((res) => this.port.close(() => res()));
  }
}

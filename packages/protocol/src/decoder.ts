import { crc32 } from './crc32.js';
import { CRC_BYTES, HEADER_BYTES, headerLayout, MAX_PAYLOAD, SYNC0, SYNC1, type Frame, type FrameHeader } from './frame.js';

// The streaming side of docs/protocol.md, "Receiving": scan for A5 5A, read the header, refuse a length above
// MAX_PAYLOAD (resync from the byte after the sync), read payload and CRC, drop a frame whose CRC fails.
// After a bad length or a bad CRC the scan restarts two bytes after that sync, so a real frame that a false
// sync (or a damaged frame) had swallowed is still found. Chunks may split a frame anywhere.

export type FrameFault =
  /** header parsed, length above MAX_PAYLOAD */
  | 'bad-length'
  /** whole frame read, CRC mismatch (the header may itself be damaged) */
  | 'bad-crc'
  /** CRC good but reserved flag bits set: receivers ignore it (the device answers E_BAD_FRAME) */
  | 'bad-flags';

export type DecoderEvent = { kind: 'frame'; frame: Frame } | { kind: 'error'; fault: FrameFault; header: FrameHeader };

export interface DecoderStats {
  frames: number;
  badLength: number;
  badCrc: number;
  badFlags: number;
  /** bytes skipped while looking for a sync */
  garbageBytes: number;
  /** partial frames abandoned by expire() */
  expired: number;
}

export class FrameDecoder {
  private buf = new Uint8Array(0);
  readonly stats: DecoderStats = { frames: 0, badLength: 0, badCrc: 0, badFlags: 0, garbageBytes: 0, expired: 0 };

  /** Bytes held toward a frame not yet complete. */
  get pending(): number {
    return this.buf.length;
  }

  /** Feeds any number of bytes; returns the frames and framing errors they complete, in stream order. */
  push(chunk: Uint8Array): DecoderEvent[] {
    if (chunk.length === 0) return [];
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf, 0);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
    return this.scan();
  }

  /**
   * Gives up on the partial frame in progress (its sender went quiet: the device does this 100 ms after the last
   * byte, the host when a reply times out). The bytes after its sync are scanned again, so a complete frame
   * inside them still comes out.
   */
  expire(): DecoderEvent[] {
    if (this.buf.length === 0) return [];
    this.stats.expired++;
    const skip = this.buf.length >= 2 && this.buf[0] === SYNC0 && this.buf[1] === SYNC1 ? 2 : 1;
    this.stats.garbageBytes += skip;
    this.buf = this.buf.slice(skip);
    return this.scan();
  }

  /** Drops everything held (a device reset). */
  reset(): void {
    this.buf = new Uint8Array(0);
  }

  private scan(): DecoderEvent[] {
    const events: DecoderEvent[] = [];
    const b = this.buf;
    let pos = 0;
    for (;;) {
      const at = findSync(b, pos);
      if (at < 0) {
        // keep a trailing A5: it may be the first half of a sync split across chunks
        const keep = b.length > pos && b[b.length - 1] === SYNC0 ? 1 : 0;
        this.stats.garbageBytes += b.length - pos - keep;
        pos = b.length - keep;
        break;
      }
      this.stats.garbageBytes += at - pos;
      pos = at;
      if (b.length - pos < HEADER_BYTES) break;
      const header = headerLayout.decode(b.subarray(pos, pos + HEADER_BYTES));
      if (header.length > MAX_PAYLOAD) {
        this.stats.badLength++;
        events.push({ kind: 'error', fault: 'bad-length', header });
        pos += 2;
        continue;
      }
      const end = pos + HEADER_BYTES + header.length + CRC_BYTES;
      if (b.length < end) break;
      const want = (b[end - 4]! | (b[end - 3]! << 8) | (b[end - 2]! << 16) | (b[end - 1]! << 24)) >>> 0;
      if (crc32(b, 0, pos + 2, end - CRC_BYTES) !== want) {
        this.stats.badCrc++;
        events.push({ kind: 'error', fault: 'bad-crc', header });
        pos += 2;
        continue;
      }
      if (header.flags !== 0) {
        this.stats.badFlags++;
        events.push({ kind: 'error', fault: 'bad-flags', header });
      } else {
        this.stats.frames++;
        events.push({ kind: 'frame', frame: { type: header.type, flags: 0, seq: header.seq, payload: b.slice(pos + HEADER_BYTES, end - CRC_BYTES) } });
      }
      pos = end;
    }
    this.buf = pos === 0 ? b : b.slice(pos);
    return events;
  }
}

function findSync(b: Uint8Array, from: number): number {
  for (let i = from; i + 1 < b.length; i++) if (b[i] === SYNC0 && b[i + 1] === SYNC1) return i;
  return -1;
}

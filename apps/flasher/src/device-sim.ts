import { type Graph, type Tensor } from '@qtool/ir';
import {
  chooseVersion,
  crc32,
  decodeRequest,
  encodeReply,
  ErrorCode,
  FrameDecoder,
  MAX_OUTPUT_DATA,
  MAX_PROFILE_LAYERS,
  MAX_READ_DATA,
  MAX_RUN_OUTPUT,
  PROTOCOL_VERSION,
  type DecoderEvent,
  type Frame,
  type Mode,
  type Reply,
  type Request,
} from '@qtool/protocol';
import { parseArtifact } from '@qtool/quantizer';
import { BodyFormat, parseImage } from './blob.js';
import type { Clock } from './clock.js';
import { inputBytes, layerBytes, outputBytes, packOutputs, runLayers, tensorBytes, unpackInputs } from './tensors.js';
import type { Transport } from './transport.js';

// A stand-in board: the device side of docs/protocol.md in TypeScript, running the model in the integer
// simulator's kernels. It behaves as the firmware does (firmware/c/proto.c): a frame receiver that drops a
// partial frame 100 ms after its last byte, E_BAD_CRC for a damaged frame whose header parsed, a resend of the
// last reply for a retried request (same seq, type and payload), aot mode (one linked model) and blob mode
// (LOAD into staging, VERIFY switches atomically, a reset loses staging and keeps the active model).

export interface SimModel {
  graph: Graph;
  /** 16 hex digits, as INFO reports it */
  modelHash: string;
}

export interface SimDeviceOptions {
  mode: Mode;
  board?: string;
  /** aot: the model linked into the firmware */
  model?: SimModel;
  /** blob: an image already active at power-up (as if stored in flash) */
  activeImage?: Uint8Array;
  /** blob: staging area bytes */
  storageBytes?: number;
  protocolVersion?: number;
  firmwareVersion?: number;
  /** after a reset the device ignores input this long (booting) */
  bootMs?: number;
  /** test-only: a deliberately wrong kernel at this layer (bit 0 of every byte of its output flipped) */
  fault?: { layer: number };
}

interface Active {
  graph: Graph;
  modelHash: string;
  image?: Uint8Array;
  inputBytes: number;
  outputBytes: number;
}

export const PARTIAL_FRAME_MS = 100;

export class SimDevice {
  private readonly decoder = new FrameDecoder();
  private partialTimer = 0;
  private bootedAt = 0;
  private last?: { type: number; seq: number; payload: Uint8Array; reply: Uint8Array };
  private staging: { total: number; bytes: Uint8Array; next: number } | null = null;
  private active: Active | null = null;
  private input: Uint8Array = new Uint8Array(0);
  private inputHeld = 0;
  private values: Map<string, Tensor> | null = null;
  private output: Uint8Array = new Uint8Array(0);
  /** resets so far (RESET requests and power cycles) */
  resets = 0;
  /** requests handled (not counting resends); tests hook in here, e.g. to reset in the middle of a load */
  onRequest?: (req: Request, device: SimDevice) => void;

  constructor(
    private readonly link: Transport,
    private readonly clock: Clock,
    readonly options: SimDeviceOptions,
  ) {
    if (options.mode === 'aot') {
      if (!options.model) throw new Error('an aot device needs its linked model');
      this.active = activeOf(options.model.graph, options.model.modelHash);
    } else if (options.activeImage) {
      const a = this.loadImage(options.activeImage);
      if (typeof a === 'string') throw new Error(`initial image: ${a}`);
      this.active = a;
    }
    link.onData((chunk) => this.receive(chunk));
  }

  /** The image blob mode runs now (undefined in aot mode or with no model). */
  get activeImage(): Uint8Array | undefined {
    return this.active?.image;
  }
  get activeHash(): string {
    return this.active?.modelHash ?? '';
  }

  /** Power cycle / reset pin: RAM is lost (staging, inputs, the receiver, the last reply), flash keeps the active model. */
  powerCycle(): void {
    this.resets++;
    this.decoder.reset();
    if (this.partialTimer) this.clock.clearTimer(this.partialTimer);
    this.partialTimer = 0;
    this.last = undefined;
    this.staging = null;
    this.inputHeld = 0;
    this.values = null;
    this.output = new Uint8Array(0);
    this.bootedAt = this.clock.now() + (this.options.bootMs ?? 5);
  }

  private receive(chunk: Uint8Array): void {
    if (this.clock.now() < this.bootedAt) return;
    this.handleEvents(this.decoder.push(chunk));
    if (this.partialTimer) this.clock.clearTimer(this.partialTimer);
    this.partialTimer = 0;
    if (this.decoder.pending > 0) this.partialTimer = this.clock.setTimer(PARTIAL_FRAME_MS, () => this.expire());
  }

  private expire(): void {
    this.partialTimer = 0;
    this.handleEvents(this.decoder.expire());
    if (this.decoder.pending > 0) this.partialTimer = this.clock.setTimer(PARTIAL_FRAME_MS, () => this.expire());
  }

  private handleEvents(events: DecoderEvent[]): void {
    for (const ev of events) {
      if (ev.kind === 'frame') this.handleFrame(ev.frame);
      // frame-level errors are not remembered as "the last reply" (firmware/c/proto.c does the same)
      else if (ev.fault === 'bad-crc') this.link.write(encodeReply({ kind: 'ERROR', code: ErrorCode.E_BAD_CRC, seq: ev.header.seq, message: 'CRC mismatch' }, ev.header.seq));
      else if (ev.fault === 'bad-flags') this.link.write(encodeReply({ kind: 'ERROR', code: ErrorCode.E_BAD_FRAME, seq: ev.header.seq, message: 'unknown flag bits' }, ev.header.seq));
    }
  }

  private handleFrame(f: Frame): void {
    const l = this.last;
    if (l && l.seq === f.seq && l.type === f.type && sameBytes(l.payload, f.payload)) {
      this.link.write(l.reply); // a retry of the request answered last: resend, do not act twice
      return;
    }
    const d = decodeRequest(f);
    const reply: Reply = d.ok ? this.handle(d.request, f.seq) : { kind: 'ERROR', code: d.code, seq: f.seq, message: d.message };
    const bytes = encodeReply(reply, f.seq);
    this.last = { type: f.type, seq: f.seq, payload: f.payload, reply: bytes };
    this.link.write(bytes);
    if (d.ok && d.request.kind === 'RESET' && reply.kind === 'RESET') this.powerCycle();
  }

  private handle(req: Request, seq: number): Reply {
    this.onRequest?.(req, this);
    const err = (code: number, message: string, expected?: number): Reply => ({ kind: 'ERROR', code, seq, message, ...(expected === undefined ? {} : { expected }) });
    const blob = this.options.mode === 'blob';
    const a = this.active;
    switch (req.kind) {
      case 'HELLO':
        return { kind: 'HELLO', version: chooseVersion(req.version, this.options.protocolVersion ?? PROTOCOL_VERSION), mode: this.options.mode };
      case 'INFO':
        return {
          kind: 'INFO',
          info: {
            firmwareVersion: this.options.firmwareVersion ?? 0x0100,
            protocolVersion: this.options.protocolVersion ?? PROTOCOL_VERSION,
            mode: this.options.mode,
            board: this.options.board ?? 'sim',
            modelHash: a?.modelHash ?? '',
            arenaBytes: 0,
            storageBytes: blob ? this.storageBytes : 0,
            inputBytes: a?.inputBytes ?? 0,
            outputBytes: a?.outputBytes ?? 0,
            layers: a?.graph.nodes.length ?? 0,
            state: this.staging ? 'staged' : a ? 'active' : 'none',
          },
        };
      case 'LOAD': {
        if (!blob) return err(ErrorCode.E_NOT_SUPPORTED, 'LOAD: this firmware runs a linked (aot) model');
        if (req.total > this.storageBytes) return err(ErrorCode.E_TOO_BIG, `image of ${req.total} bytes, storage holds ${this.storageBytes}`);
        if (req.offset === 0) this.staging = { total: req.total, bytes: new Uint8Array(req.total), next: 0 };
        const s = this.staging;
        if (!s || s.total !== req.total || req.offset !== s.next) {
          const expected = s && s.total === req.total ? s.next : 0;
          return err(ErrorCode.E_BAD_OFFSET, `LOAD at ${req.offset}, expected ${expected}`, expected);
        }
        if (req.offset + req.data.length > s.total) return err(ErrorCode.E_BAD_LENGTH, `LOAD past the image's ${s.total} bytes`);
        s.bytes.set(req.data, req.offset);
        s.next += req.data.length;
        return { kind: 'LOAD', next: s.next };
      }
      case 'VERIFY': {
        if (!blob) return err(ErrorCode.E_NOT_SUPPORTED, 'VERIFY: this firmware runs a linked (aot) model');
        const s = this.staging;
        if (!s) return err(ErrorCode.E_NO_MODEL, 'VERIFY: nothing staged');
        if (s.total !== req.total) return err(ErrorCode.E_VERIFY, `VERIFY of ${req.total} bytes, ${s.total} staged`);
        if (s.next !== s.total) return err(ErrorCode.E_BAD_OFFSET, `VERIFY: ${s.next} of ${s.total} bytes staged`, s.next);
        const crc = crc32(s.bytes);
        this.staging = null;
        if (crc !== req.crc) return err(ErrorCode.E_VERIFY, 'image CRC differs; staged image discarded');
        const next = this.loadImage(s.bytes);
        if (typeof next === 'string') return err(ErrorCode.E_BAD_IMAGE, next);
        this.active = next; // the switch: one assignment, so the board is on the old model or the new one
        this.inputHeld = 0;
        this.values = null;
        return { kind: 'VERIFY', crc };
      }
      case 'INPUT': {
        if (!a) return err(ErrorCode.E_NO_MODEL, 'no model');
        if (req.offset === 0) {
          this.input = new Uint8Array(a.inputBytes);
          this.inputHeld = 0;
        }
        if (req.offset !== this.inputHeld) return err(ErrorCode.E_BAD_OFFSET, `INPUT at ${req.offset}, expected ${this.inputHeld}`, this.inputHeld);
        if (req.offset + req.data.length > a.inputBytes) return err(ErrorCode.E_TOO_BIG, `INPUT past the model's ${a.inputBytes} input bytes`);
        this.input.set(req.data, req.offset);
        this.inputHeld += req.data.length;
        this.values = null; // READ and PROFILE re-run whatever the input buffer holds now
        return { kind: 'INPUT', held: this.inputHeld };
      }
      case 'RUN': {
        if (!a) return err(ErrorCode.E_NO_MODEL, 'no model');
        if (this.inputHeld !== a.inputBytes) return err(ErrorCode.E_BAD_LENGTH, `RUN: input holds ${this.inputHeld} of ${a.inputBytes} bytes`);
        this.values = runLayers(a.graph, unpackInputs(a.graph, this.input), this.options.fault);
        this.output = packOutputs(a.graph, this.values);
        return { kind: 'RUN', status: 0, cycles: 0, outputBytes: this.output.length, output: this.output.slice(0, MAX_RUN_OUTPUT) };
      }
      case 'OUTPUT': {
        if (!a) return err(ErrorCode.E_NO_MODEL, 'no model');
        if (req.offset > a.outputBytes) return err(ErrorCode.E_BAD_LENGTH, 'OUTPUT offset beyond the output bytes');
        // the output buffer as the last RUN left it (zeros before any), as the firmware's static buffer
        const out = this.output.length === a.outputBytes ? this.output : new Uint8Array(a.outputBytes);
        return { kind: 'OUTPUT', data: out.slice(req.offset, req.offset + Math.min(req.length, MAX_OUTPUT_DATA)) };
      }
      case 'READ': {
        if (!a) return err(ErrorCode.E_NO_MODEL, 'no model');
        if (req.layer >= a.graph.nodes.length) return err(ErrorCode.E_BAD_LENGTH, `READ: the model has ${a.graph.nodes.length} layers`);
        if (this.inputHeld !== a.inputBytes) return err(ErrorCode.E_BAD_LENGTH, 'inputs incomplete: send every input byte with INPUT first');
        this.values ??= runLayers(a.graph, unpackInputs(a.graph, this.input), this.options.fault);
        const t = tensorBytes(this.values.get(a.graph.nodes[req.layer]!.outputs[0]!)!);
        if (req.offset > t.length) return err(ErrorCode.E_BAD_LENGTH, 'READ outside the tensor');
        return { kind: 'READ', tensorBytes: t.length, data: t.slice(req.offset, req.offset + Math.min(req.length, MAX_READ_DATA)) };
      }
      case 'PROFILE': {
        if (!a) return err(ErrorCode.E_NO_MODEL, 'no model');
        if (this.inputHeld !== a.inputBytes) return err(ErrorCode.E_BAD_LENGTH, 'inputs incomplete: send every input byte with INPUT first');
        this.values ??= runLayers(a.graph, unpackInputs(a.graph, this.input), this.options.fault);
        // no cycle counter in a simulator: 0 per layer, as firmware on a core without one reports
        return { kind: 'PROFILE', cycles: a.graph.nodes.slice(0, MAX_PROFILE_LAYERS).map(() => 0) };
      }
      case 'RESET':
        return { kind: 'RESET' };
    }
  }

  private get storageBytes(): number {
    return this.options.storageBytes ?? 256 * 1024;
  }

  private loadImage(image: Uint8Array): Active | string {
    const p = parseImage(image);
    if (!p.ok) return p.message;
    if (p.header.bodyFormat !== BodyFormat.QMODEL_JSON) return `image body format ${p.header.bodyFormat}: this device runs format ${BodyFormat.QMODEL_JSON} (qmodel JSON)`;
    let graph: Graph;
    try {
      graph = parseArtifact(new TextDecoder().decode(p.body)).graph;
    } catch (e) {
      return `image body is no qmodel: ${(e as Error).message}`;
    }
    const act = activeOf(graph, p.header.hash);
    if (act.inputBytes !== p.header.inputBytes || act.outputBytes !== p.header.outputBytes || graph.nodes.length !== p.header.layers)
      return 'image header disagrees with its body (input/output bytes or layers)';
    return { ...act, image: image.slice() };
  }
}

function activeOf(graph: Graph, modelHash: string): Active {
  return { graph, modelHash, inputBytes: inputBytes(graph), outputBytes: outputBytes(graph) };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}


import { fail, numel, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { INT32_MAX, INT32_MIN } from '@qtool/qmath';
import { defineOp, type OutType } from '../op.js';
import { shapeError } from '../util.js';
import type { ConvParams } from './conv.js';
import { adjustedOf, int8Input, int8Tensor, outputStep, paramsOf, requantizer, type MacParams } from './mac_int.js';
import { axisWindows, spatialStrides, unravel, windowAt, type WindowGeom } from './window.js';

// A consecutive-layer chain (docs/arithmetic.md, "Chains"): MAC layers joined through ops that commute with a
// positive scale (fused ReLU / clamp, max_pool, reshape), computed without the intermediate requantization. The
// first MAC reads the int8 input (x' = x + inputOffset); every later stage reads the previous accumulators as
// they are (int32, zero point 0, scale s_x * s_w[c]); only the last MAC requantizes, with the product of the
// scales as one fixed-point multiplier. The quantizer (packages/quantizer/src/chain.ts) forms a chain only when
// it has proven that every accumulator of every stage fits int32; evalInt checks that proof on every value it
// computes and refuses (QT400) a value beyond int32, which the C kernel would wrap.

/** A MAC stage: conv or fully_connected with its integer parameters. */
export interface ChainMacStage {
  kind: 'conv' | 'fully_connected';
  /**
   * The stage's weights, bias (at the stage's accumulator scale) and geometry (conv). `inputOffset` is the chain
   * input's -zeroPoint for the first stage and 0 after. Only the last stage uses `multipliers`, `outputOffset`
   * and the int8 clamp; an intermediate stage has no multipliers.
   */
  mac: ConvParams | MacParams;
  inShape: number[];
  outShape: number[];
  /**
   * Intermediate stages: the fused activation at the accumulator scale, per output channel, as the bounds of a
   * clamp (absent: no bound on that side). ReLU is actLo = 0 (exact: the scale is positive).
   */
  actLo?: Int32Array;
  actHi?: Int32Array;
}

/** max_pool over int32 accumulators: the max of the window's in-bounds cells (exact under a positive scale). */
export interface ChainPoolStage {
  kind: 'max_pool';
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
  ceilMode: boolean;
  inShape: number[];
  outShape: number[];
}

/** reshape / flatten: the same values in the same order. */
export interface ChainReshapeStage {
  kind: 'reshape';
  inShape: number[];
  outShape: number[];
}

export type ChainStage = ChainMacStage | ChainPoolStage | ChainReshapeStage;

/** Integer parameters of a mac_chain node. */
export interface MacChainParams {
  mode: 'qtool';
  /** the layers of the float model the chain replaces, in order */
  layers: string[];
  stages: ChainStage[];
  /** the proven bound on |every partial sum| of every stage (<= limit) */
  bound: number;
  /** the accumulator's limit: 2^31 - 1 */
  limit: number;
}

const isMac = (s: ChainStage): s is ChainMacStage => s.kind === 'conv' || s.kind === 'fully_connected';

/** Multiply-accumulates of one MAC stage for one run. */
export function stageMacs(s: ChainMacStage): number {
  return numel(s.outShape) * numel(s.mac.weights.shape.slice(1));
}

function checkAcc(node: Node, stage: number, acc: number): void {
  if (acc > INT32_MAX || acc < INT32_MIN)
    fail('QT400', `mac_chain stage ${stage}: accumulator ${acc} beyond int32; the chain's bound proof is wrong`, { node: node.name });
}

/** x' values (number) -> accumulators of a conv stage, clamped (intermediate) or requantized to int8 (last). */
function convStage(node: Node, si: number, s: ChainMacStage, x: ArrayLike<number>, last: boolean): Float64Array | Int8Array {
  const p = s.mac as ConvParams;
  const r = p.kernel.length;
  const spatial = s.inShape.slice(1, r + 1);
  const cin = s.inShape[r + 1]!;
  const out = s.outShape.slice(1, r + 1);
  const cout = s.outShape[r + 1]!;
  const batch = s.inShape[0]!;
  const geom: WindowGeom = { kernel: p.kernel, strides: p.strides, dilations: p.dilations, pads: p.pads, ceilMode: false };
  const cinG = cin / p.groups;
  const coutG = cout / p.groups;
  const kSize = numel(p.kernel) * cinG;
  const inStr = spatialStrides(spatial, cin);
  const kStr = spatialStrides(p.kernel, cinG);
  const windows = axisWindows(spatial, out, geom);
  const outSp = numel(out);
  const inBatch = numel(spatial) * cin;
  const w = adjustedOf(p.weights);
  const y = last ? new Int8Array(batch * outSp * cout) : new Float64Array(batch * outSp * cout);
  const o = new Array<number>(r).fill(0);
  for (let sp = 0; sp < outSp; sp++) {
    unravel(sp, out, o);
    const win = windowAt(windows, o, inStr, kStr);
    for (let n = 0; n < batch; n++) {
      const xBase = n * inBatch;
      const yBase = (n * outSp + sp) * cout;
      for (let oc = 0; oc < cout; oc++) {
        const cBase = Math.floor(oc / coutG) * cinG;
        const wBase = oc * kSize;
        let acc = p.bias[oc]!;
        for (let t = 0; t < win.x.length; t++) {
          const xo = xBase + win.x[t]! + cBase;
          const wo = wBase + win.k[t]!;
          for (let c = 0; c < cinG; c++) acc += w[wo + c]! * x[xo + c]!;
        }
        y[yBase + oc] = finish(node, si, s, acc, oc, last);
      }
    }
  }
  return y;
}

function fcStage(node: Node, si: number, s: ChainMacStage, x: ArrayLike<number>, last: boolean): Float64Array | Int8Array {
  const p = s.mac;
  const [nOut, k] = p.weights.shape as [number, number];
  const rows = numel(s.inShape.slice(0, -1));
  const w = adjustedOf(p.weights);
  const y = last ? new Int8Array(rows * nOut) : new Float64Array(rows * nOut);
  for (let m = 0; m < rows; m++)
    for (let n = 0; n < nOut; n++) {
      let acc = p.bias[n]!;
      for (let i = 0; i < k; i++) acc += w[n * k + i]! * x[m * k + i]!;
      y[m * nOut + n] = finish(node, si, s, acc, n, last);
    }
  return y;
}

/** The end of one output of a MAC stage: requantize to int8 (last stage) or clamp the accumulator. */
function finish(node: Node, si: number, s: ChainMacStage, acc: number, c: number, last: boolean): number {
  checkAcc(node, si, acc);
  const p = s.mac;
  if (last) return outputStep(requantizer(p.mode), acc, p.multipliers[p.multipliers.length > 1 ? c : 0]!, p.outputOffset, p.clampLo, p.clampHi);
  if (s.actLo && acc < s.actLo[c]!) acc = s.actLo[c]!;
  if (s.actHi && acc > s.actHi[c]!) acc = s.actHi[c]!;
  return acc;
}

function poolStage(s: ChainPoolStage, x: ArrayLike<number>): Float64Array {
  const r = s.kernel.length;
  const spatial = s.inShape.slice(1, r + 1);
  const out = s.outShape.slice(1, r + 1);
  const ch = s.inShape[r + 1]!;
  const batch = s.inShape[0]!;
  const geom: WindowGeom = { kernel: s.kernel, strides: s.strides, dilations: s.dilations, pads: s.pads, ceilMode: s.ceilMode };
  const windows = axisWindows(spatial, out, geom);
  const inStr = spatialStrides(spatial, ch);
  const kStr = spatialStrides(s.kernel, 1);
  const outSp = numel(out);
  const inBatch = numel(spatial) * ch;
  const y = new Float64Array(batch * outSp * ch);
  const o = new Array<number>(r).fill(0);
  for (let sp = 0; sp < outSp; sp++) {
    unravel(sp, out, o);
    const win = windowAt(windows, o, inStr, kStr); // the pool's shape rule guaranteed a non-empty window
    for (let n = 0; n < batch; n++)
      for (let c = 0; c < ch; c++) {
        const base = n * inBatch + c;
        let v = -Infinity;
        for (const off of win.x) if (x[base + off]! > v) v = x[base + off]!;
        y[(n * outSp + sp) * ch + c] = v;
      }
  }
  return y;
}

export const macChain = defineOp({
  name: 'mac_chain',
  summary: 'consecutive MAC layers without intermediate requantization (formed by the quantizer, --chain auto)',
  inputs: ['X'],

  inferShape(node: Node, inputs: (TensorInfo | undefined)[]): OutType[] {
    const p = node.params as MacChainParams | undefined;
    const x = inputs[0];
    if (!p || !p.stages.length) shapeError(node, 'mac_chain has no stages (it exists only in integer graphs)');
    if (x && x.shape.join() !== p.stages[0]!.inShape.join()) shapeError(node, `X [${x.shape}] is not the chain's input [${p.stages[0]!.inShape}]`);
    return [{ dtype: 'int8', shape: [...p.stages[p.stages.length - 1]!.outShape] }];
  },

  evalFloat(node: Node): Tensor[] {
    fail('QT400', 'mac_chain exists only in integer graphs (the quantizer forms it)', { node: node.name });
  },

  macs(node: Node): number {
    const p = node.params as MacChainParams | undefined;
    return p ? p.stages.filter(isMac).reduce((s, st) => s + stageMacs(st), 0) : 0;
  },

  evalInt(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
    const p = paramsOf<MacChainParams>(node);
    const xt = int8Input(node, inputs, 0);
    const first = p.stages[0];
    if (!first || !isMac(first)) shapeError(node, 'a chain starts with a MAC stage');
    if (xt.shape.join() !== first.inShape.join()) shapeError(node, `X [${xt.shape}] is not the chain's input [${first.inShape}]`);
    const off = first.mac.inputOffset;
    let cur: ArrayLike<number> = Float64Array.from(xt.data as Int8Array, (v) => v + off);
    const lastMac = p.stages.length - 1;
    if (!isMac(p.stages[lastMac]!)) shapeError(node, 'a chain ends with a MAC stage');
    p.stages.forEach((s, i) => {
      if (s.kind === 'reshape') return;
      if (s.kind === 'max_pool') cur = poolStage(s, cur);
      else cur = (s.kind === 'conv' ? convStage : fcStage)(node, i, s, cur, i === lastMac);
    });
    return [int8Tensor([...p.stages[lastMac]!.outShape], cur as Int8Array)];
  },
});

import { allocate, makeTensor, numel, stridesOf, type Node, type Tensor, type TensorInfo, type TypedArray } from '@qtool/ir';
import { defineOp, type OutType } from '../op.js';
import { attrInts, attrNumber, attrString, need, shapeError } from '../util.js';
import type { Shaped } from './window.js';
import { padEval, quantizePad } from './int_move.js';

// ONNX Pad (and TFLite PAD/PADV2/MIRROR_PAD) with the pads folded into an attribute: pads = [begins..., ends...],
// one pair per axis of X; a negative pad crops. Modes: 'constant' (fill with `value`, default 0), 'reflect'
// (mirror about the edge element, not repeating it: NumPy 'reflect', ONNX reflect), 'edge' (repeat the edge).
// Crops apply first, then reflect/edge read the cropped tensor. The element type is kept: pad moves values.

const modes = ['constant', 'reflect', 'edge'] as const;
type Mode = (typeof modes)[number];

interface PadPlan {
  pads: number[];
  mode: Mode;
  shape: number[];
}

function plan(node: Node, inputs: (Shaped | undefined)[]): PadPlan {
  const x = need(node, inputs, 0);
  const rank = x.shape.length;
  const pads = attrInts(node, 'pads');
  if (pads.length !== 2 * rank) shapeError(node, `pads has ${pads.length} entries, X [${x.shape}] needs ${2 * rank}`);
  if (!pads.every(Number.isInteger)) shapeError(node, `pads [${pads}] must be integers`);
  const mode = attrString(node, 'mode', 'constant') as Mode;
  if (!modes.includes(mode)) shapeError(node, `mode '${mode}' is not one of ${modes.join(', ')}`);
  const shape = x.shape.map((d, i) => {
    const pb = pads[i]!;
    const pe = pads[rank + i]!;
    const kept = d - Math.max(0, -pb) - Math.max(0, -pe);
    if (kept < 0) shapeError(node, `axis ${i}: pads ${pb}, ${pe} crop more than its ${d} elements`);
    const grown = Math.max(0, pb) + Math.max(0, pe);
    // edge and reflect need a value to copy
    if (mode !== 'constant' && kept === 0 && grown > 0) shapeError(node, `axis ${i}: ${mode} padding of an empty axis`);
    return d + pb + pe;
  });
  return { pads, mode, shape };
}

/** For one axis: output index -> input index, or -1 where the constant goes. */
function axisMap(d: number, pb: number, pe: number, mode: Mode): Int32Array {
  const cb = Math.max(0, -pb);
  const len = d - cb - Math.max(0, -pe); // the kept (cropped) run starts at input index cb
  const lead = Math.max(0, pb);
  const map = new Int32Array(d + pb + pe);
  for (let o = 0; o < map.length; o++) {
    let r = o - lead; // position relative to the kept run
    if (r < 0 || r >= len) {
      if (mode === 'constant') {
        map[o] = -1;
        continue;
      }
      if (mode === 'edge') r = r < 0 ? 0 : len - 1;
      else if (len === 1) r = 0;
      else {
        // reflect: the index sequence is periodic with period 2(len-1): 0 1 .. len-1 len-2 .. 1 0 1 ..
        const period = 2 * (len - 1);
        r = ((r % period) + period) % period;
        if (r >= len) r = period - r;
      }
    }
    map[o] = cb + r;
  }
  return map;
}

export const pad = defineOp({
  name: 'pad',
  summary: "pad or crop every axis; mode 'constant' | 'reflect' | 'edge'",
  inputs: ['data'],

  inferShape(node: Node, inputs: (TensorInfo | undefined)[]): OutType[] {
    return [{ dtype: need(node, inputs, 0).dtype, shape: plan(node, inputs).shape }];
  },

  evalFloat(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
    const p = plan(node, inputs);
    const xt = need(node, inputs, 0);
    const rank = xt.shape.length;
    const value = attrNumber(node, 'value', 0);
    const maps = xt.shape.map((d, i) => axisMap(d, p.pads[i]!, p.pads[rank + i]!, p.mode));
    const inStr = stridesOf(xt.shape);
    const n = numel(p.shape);
    const out = allocate(xt.dtype, n);
    const src = xt.data;
    const pos = new Array<number>(rank).fill(0);
    for (let e = 0; e < n; e++) {
      let off = 0;
      for (let ax = 0; ax < rank && off >= 0; ax++) {
        const j = maps[ax]![pos[ax]!]!;
        off = j < 0 ? -1 : off + j * inStr[ax]!;
      }
      put(out, src, e, off, value);
      for (let ax = rank - 1; ax >= 0; ax--) {
        if (++pos[ax]! < p.shape[ax]!) break;
        pos[ax] = 0;
      }
    }
    return [makeTensor(xt.dtype, p.shape, out)];
  },

  quantize: quantizePad,
  evalInt: (node: Node, inputs: (Tensor | undefined)[]): Tensor[] => padEval(pad)(node, inputs),
});

/** out[e] = src[off], or the pad value when off < 0 (typed-array assignment converts it to the element type). */
function put(out: TypedArray, src: TypedArray, e: number, off: number, value: number): void {
  if (out instanceof BigInt64Array) out[e] = off < 0 ? BigInt(Math.trunc(value)) : (src as BigInt64Array)[off]!;
  else (out as Exclude<TypedArray, BigInt64Array>)[e] = off < 0 ? value : (src as Exclude<TypedArray, BigInt64Array>)[off]!;
}

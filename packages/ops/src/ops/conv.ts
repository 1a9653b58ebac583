import { fail, numel, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { defineOp, type OutType } from '../op.js';
import type { QuantizeContext } from '../quant.js';
import { applyActivation, attrNumber, floatTensor, need, shapeError } from '../util.js';
import { adjustedOf, int8Input, int8Tensor, outputStep, paramsOf, quantizeMac, requantizer, type MacParams } from './mac_int.js';
import { axisWindows, outputSpatial, readGeom, spatialRank, spatialStrides, unravel, values, windowAt, type Shaped, type WindowGeom } from './window.js';

// Grouped N-D cross-correlation, channels-last (docs/ir.md):
// X [N, S1..Sr, Cin], W [Cout, K1..Kr, Cin/groups], B? [Cout] -> Y [N, O1..Or, Cout].
// Output channel o reads input channels of group floor(o / (Cout/groups)); depthwise is groups == Cin with
// channel multiplier Cout/Cin (TFLite DEPTHWISE_CONV_2D is re-laid to this form by its reader).

/**
 * Integer parameters of a conv node (1-D or 2-D; grouped and depthwise included). Weights are
 * [Cout, K1..Kr, Cin/groups]; for a depthwise layer (groups = Cin) output channel o reads input channel
 * floor(o / (Cout/Cin)), TFLite's channel-multiplier order.
 */
export interface ConvParams extends MacParams {
  /** Kernel extent per spatial axis (= W.shape[1..r]). */
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** begins then ends, one per spatial axis each (ONNX order); padded cells contribute 0 (x' = 0). */
  pads: number[];
  groups: number;
}

interface ConvPlan {
  batch: number;
  spatial: number[];
  cin: number;
  cout: number;
  groups: number;
  geom: WindowGeom;
  out: number[];
}

function plan(node: Node, inputs: (Shaped | undefined)[]): ConvPlan {
  const x = need(node, inputs, 0);
  const w = need(node, inputs, 1);
  const b = inputs[2];
  const r = spatialRank(node, x);
  if (w.shape.length !== r + 2) shapeError(node, `W must be [Cout, K1..K${r}, Cin/groups], got [${w.shape}] for X [${x.shape}]`);
  const cin = x.shape[r + 1]!;
  const cout = w.shape[0]!;
  const groups = attrNumber(node, 'groups', 1);
  if (!Number.isInteger(groups) || groups < 1) shapeError(node, `groups ${groups} must be a positive integer`);
  if (cin % groups !== 0 || cout % groups !== 0)
    shapeError(node, `groups ${groups} must divide Cin ${cin} and Cout ${cout}`);
  if (w.shape[r + 1]! * groups !== cin)
    shapeError(node, `W [${w.shape}] has ${w.shape[r + 1]} input channels per group; X has ${cin} channels in ${groups} groups`);
  if (b && (b.shape.length !== 1 || b.shape[0] !== cout)) shapeError(node, `B must be [${cout}], got [${b.shape}]`);
  const spatial = x.shape.slice(1, r + 1);
  const geom = readGeom(node, w.shape.slice(1, r + 1), false);
  return { batch: x.shape[0]!, spatial, cin, cout, groups, geom, out: outputSpatial(node, spatial, geom) };
}

/** The plan of the integer kernel: geometry from the params (what the C emitter reads), X's shape from the value. */
function planInt(node: Node, x: Tensor, p: ConvParams): ConvPlan {
  const r = spatialRank(node, x);
  const w = p.weights.shape;
  if (w.length !== r + 2 || p.kernel.length !== r) shapeError(node, `params are for a ${p.kernel.length}-D conv, X is [${x.shape}]`);
  const cin = x.shape[r + 1]!;
  const cout = w[0]!;
  if (w[r + 1]! * p.groups !== cin) shapeError(node, `W [${w}] in ${p.groups} groups does not match X [${x.shape}]`);
  const spatial = x.shape.slice(1, r + 1);
  const geom: WindowGeom = { kernel: p.kernel, strides: p.strides, dilations: p.dilations, pads: p.pads, ceilMode: false };
  return { batch: x.shape[0]!, spatial, cin, cout, groups: p.groups, geom, out: outputSpatial(node, spatial, geom) };
}

export const conv = defineOp({
  name: 'conv',
  summary: 'grouped N-D convolution (cross-correlation), channels-last, with fused clamp',
  inputs: ['X', 'W', 'B?'],

  inferShape(node: Node, inputs: (TensorInfo | undefined)[]): OutType[] {
    const p = plan(node, inputs);
    return [{ dtype: need(node, inputs, 0).dtype, shape: [p.batch, ...p.out, p.cout] }];
  },

  evalFloat(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
    const p = plan(node, inputs);
    const x = values(need(node, inputs, 0));
    const w = values(need(node, inputs, 1));
    const b = inputs[2] ? values(inputs[2]) : undefined;
    const r = p.spatial.length;
    const cinG = p.cin / p.groups;
    const coutG = p.cout / p.groups;
    const kSize = numel(p.geom.kernel) * cinG; // elements of W per output channel
    const inStr = spatialStrides(p.spatial, p.cin);
    const kStr = spatialStrides(p.geom.kernel, cinG);
    const windows = axisWindows(p.spatial, p.out, p.geom);
    const outSp = numel(p.out);
    const inBatch = numel(p.spatial) * p.cin;
    const y = floatTensor([p.batch, ...p.out, p.cout]);
    const yd = y.data as Float32Array;
    const o = new Array<number>(r).fill(0);
    for (let s = 0; s < outSp; s++) {
      unravel(s, p.out, o);
      // the taps depend only on the spatial position, so gather them once for every batch and channel
      const win = windowAt(windows, o, inStr, kStr);
      for (let n = 0; n < p.batch; n++) {
        const xBase = n * inBatch;
        const yBase = (n * outSp + s) * p.cout;
        for (let oc = 0; oc < p.cout; oc++) {
          const cBase = Math.floor(oc / coutG) * cinG; // first input channel of this output channel's group
          const wBase = oc * kSize;
          let acc = b ? b[oc]! : 0;
          for (let t = 0; t < win.x.length; t++) {
            const xo = xBase + win.x[t]! + cBase;
            const wo = wBase + win.k[t]!;
            for (let c = 0; c < cinG; c++) acc += x[xo + c]! * w[wo + c]!;
          }
          yd[yBase + oc] = acc;
        }
      }
    }
    return [applyActivation(node, y)];
  },

  macs(node: Node, inputs: (TensorInfo | undefined)[], outputs: TensorInfo[]): number {
    const w = need(node, inputs, 1);
    const y = outputs[0];
    if (!y) return 0;
    // each output element is one dot product over K1..Kr x Cin/groups
    return numel(y.shape) * numel(w.shape.slice(1));
  },

  quantize(node: Node, ctx: QuantizeContext): ConvParams {
    const mac = quantizeMac(node, ctx);
    const r = mac.weights.shape.length - 2;
    // the MCU runtime has 1-D and 2-D kernels only (qt_conv1d_s8, qt_conv2d_s8, qt_dwconv2d_s8)
    if (r < 1 || r > 2) fail('QT400', `conv: ${r}-D convolution has no integer kernel (1-D and 2-D only)`, { node: node.name });
    const geom = readGeom(node, mac.weights.shape.slice(1, r + 1), false);
    const groups = attrNumber(node, 'groups', 1);
    return { ...mac, kernel: geom.kernel, strides: geom.strides, dilations: geom.dilations, pads: geom.pads, groups };
  },

  evalInt(node: Node, inputs: (Tensor | undefined)[]): Tensor[] {
    const p = paramsOf<ConvParams>(node);
    const xt = int8Input(node, inputs, 0);
    const pl = planInt(node, xt, p);
    const x = xt.data as Int8Array;
    const w = adjustedOf(p.weights);
    const R = requantizer(p.mode);
    const r = pl.spatial.length;
    const cinG = pl.cin / pl.groups;
    const coutG = pl.cout / pl.groups;
    const kSize = numel(pl.geom.kernel) * cinG;
    const inStr = spatialStrides(pl.spatial, pl.cin);
    const kStr = spatialStrides(pl.geom.kernel, cinG);
    const windows = axisWindows(pl.spatial, pl.out, pl.geom);
    const outSp = numel(pl.out);
    const inBatch = numel(pl.spatial) * pl.cin;
    const y = new Int8Array(pl.batch * outSp * pl.cout);
    const perChannel = p.multipliers.length > 1;
    const off = p.inputOffset;
    const o = new Array<number>(r).fill(0);
    for (let s = 0; s < outSp; s++) {
      unravel(s, pl.out, o);
      // only in-bounds taps: a padded cell holds the input zero point, so its x' is 0 and it adds nothing
      const win = windowAt(windows, o, inStr, kStr);
      for (let n = 0; n < pl.batch; n++) {
        const xBase = n * inBatch;
        const yBase = (n * outSp + s) * pl.cout;
        for (let oc = 0; oc < pl.cout; oc++) {
          const cBase = Math.floor(oc / coutG) * cinG;
          const wBase = oc * kSize;
          // exact: the quantizer proved |acc| < 2^31 for every partial sum
          let acc = p.bias[oc]!;
          for (let t = 0; t < win.x.length; t++) {
            const xo = xBase + win.x[t]! + cBase;
            const wo = wBase + win.k[t]!;
            for (let c = 0; c < cinG; c++) acc += w[wo + c]! * (x[xo + c]! + off);
          }
          y[yBase + oc] = outputStep(R, acc, p.multipliers[perChannel ? oc : 0]!, p.outputOffset, p.clampLo, p.clampHi);
        }
      }
    }
    return [int8Tensor([pl.batch, ...pl.out, pl.cout], y)];
  },
});

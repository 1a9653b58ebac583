import { numel, type Node, type Tensor, type TensorInfo } from '@qtool/ir';
import { defineOp, type OutType } from '../op.js';
import { applyActivation, attrNumber, floatTensor, need, shapeError } from '../util.js';
import { axisWindows, outputSpatial, readGeom, spatialRank, spatialStrides, unravel, values, windowAt, type Shaped, type WindowGeom } from './window.js';

// Grouped N-D cross-correlation, channels-last (docs/ir.md):
// X [N, S1..Sr, Cin], W [Cout, K1..Kr, Cin/groups], B? [Cout] -> Y [N, O1..Or, Cout].
// Output channel o reads input channels of group floor(o / (Cout/groups)); depthwise is groups == Cin with
// channel multiplier Cout/Cin (TFLite DEPTHWISE_CONV_2D is re-laid to this form by its reader).

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
});

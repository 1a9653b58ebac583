import { cloneGraph, numel, type Graph, type Node } from '@qtool/ir';
import type { ChainMacStage, ChainStage, ConvParams, MacChainParams, MacParams, PoolParams, QuantizeOptions } from '@qtool/ops';
import { INT32_MAX, quantizeMultiplier, sat32 } from '@qtool/qmath';
import type { Ranges } from './calibrate.js';
import { quantizeWeights, roundHalfAway } from './weights.js';
import { chainBound } from './chain-bound.js';

// Chain formation (docs/arithmetic.md, "Chains"): a rewrite of the quantized graph that joins consecutive MAC
// layers, L1 -> (fused ReLU/clamp | relu | max_pool | reshape)* -> L2 [-> ... -> Lk], into one mac_chain node
// that keeps L1's int32 accumulators as L2's input instead of requantizing them to int8. It is formed only where
// chainBound (chain-bound.ts) proves that no accumulator of any stage can leave int32 for ANY int8 input.
//
// Scales. L1's accumulator of channel c is at S1[c] = s_x * s_w1[c] (zero point 0). With per-channel L1 weights
// the channels differ, so L2 cannot read them at one scale; instead, before L2's weights are quantized, the float
// weights that read channel c are multiplied by S1[c] / Sref (Sref = max S1): sum W2 * (S1 * acc1) =
// Sref * sum (W2 * S1/Sref) * acc1. L2 is then quantized with the scheme as usual (bits, anchor, rounding,
// granularity), its bias at Sref * s_w2[o], and the last stage requantizes once with M[o] = Sref * s_w2[o] / s_y.
// Per-tensor L1 weights make every factor 1: L2's weights are then exactly those of the unchained model.

export type ChainMode = 'off' | 'auto';

/** One formed chain, as report.json lists it. */
export interface ChainReport {
  /** the mac_chain node of the integer graph */
  node: string;
  /** the float model's layers it replaces, in order */
  layers: string[];
  ops: string[];
  accumulator: 'int32';
  /** the proven bound on |every accumulator| for any int8 input (what decided) */
  bound: number;
  /** the same analysis over the calibrated input range only (for information; not a proof for other inputs) */
  calibratedBound: number;
  limit: number;
  /** limit - bound, and the same in bits: log2(limit / bound) */
  margin: number;
  marginBits: number;
}

/** A candidate the analysis refused (kept for the report: why a chain was not formed). */
export interface ChainRefusal {
  layers: string[];
  reason: string;
  bound?: number;
}

export interface ChainResult {
  graph: Graph;
  chains: ChainReport[];
  refused: ChainRefusal[];
}

const MAC_OPS = new Set(['conv', 'fully_connected']);

/**
 * Forms every chain the bound proves safe, greedily from the first MAC layer: a chain grows while the next MAC
 * layer still fits. Returns a new graph (the input is not changed) and the chains formed and refused.
 */
export function formChains(q: Graph, float: Graph, options: QuantizeOptions, ranges?: Ranges): ChainResult {
  const g = cloneGraph(q);
  const chains: ChainReport[] = [];
  const refused: ChainRefusal[] = [];
  if (options.mode !== 'qtool') return { graph: g, chains, refused };
  const consumers = new Map<string, Node[]>();
  for (const n of g.nodes) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const replaced = new Map<Node, Node | null>(); // node -> its chain (at the chain's last node) or null (removed)
  for (const start of g.nodes) {
    if (!MAC_OPS.has(start.op) || replaced.has(start)) continue;
    let best: { nodes: Node[]; params: MacChainParams; calibrated: number } | undefined;
    const path: Node[] = [start];
    for (;;) {
      const v = path[path.length - 1]!.outputs[0]!;
      const next = g.outputs.includes(v) ? undefined : consumers.get(v);
      if (!next || next.length !== 1 || next[0]!.inputs[0] !== v || next[0]!.inputs.filter((i) => i === v).length !== 1) break;
      const c = next[0]!;
      if (c.op === 'reshape' || c.op === 'relu' || (c.op === 'max_pool' && !(c.params as PoolParams).requant)) {
        path.push(c);
        continue;
      }
      if (!MAC_OPS.has(c.op)) break;
      path.push(c);
      const built = buildChain(g, path, float, options);
      if (typeof built === 'string') {
        refused.push({ layers: path.map((n) => n.name), reason: built });
        break;
      }
      const proof = chainBound(built.stages, ...inputInterval(g, start));
      if (!proof.fits) {
        refused.push({ layers: path.map((n) => n.name), reason: `stage ${proof.worstStage} can reach ${proof.bound} > ${INT32_MAX}`, bound: proof.bound });
        break;
      }
      built.bound = proof.bound;
      const calibrated = chainBound(built.stages, ...inputInterval(g, start, ranges)).bound;
      best = { nodes: [...path], params: built, calibrated };
    }
    if (!best) continue;
    const last = best.nodes[best.nodes.length - 1]!;
    const name = `${start.name}..${last.name}`;
    const node: Node = { name, op: 'mac_chain', inputs: [start.inputs[0]!], outputs: [last.outputs[0]!], attrs: {}, params: best.params };
    for (const n of best.nodes) replaced.set(n, n === last ? node : null);
    const margin = INT32_MAX - best.params.bound;
    chains.push({
      node: name,
      layers: best.params.layers,
      ops: best.nodes.map((n) => n.op),
      accumulator: 'int32',
      bound: best.params.bound,
      calibratedBound: best.calibrated,
      limit: INT32_MAX,
      margin,
      marginBits: Math.log2(INT32_MAX / Math.max(best.params.bound, 1)),
    });
  }
  // the chain's intermediate values leave the graph; the chain takes its last node's place in the schedule
  for (const [n, to] of replaced) if (!to) for (const o of n.outputs) g.tensors.delete(o);
  g.nodes = g.nodes.flatMap((n) => (replaced.has(n) ? (replaced.get(n) ? [replaced.get(n)!] : []) : [n]));
  return { graph: g, chains, refused };
}

/** The x' interval of a chain's int8 input: the whole int8 range (the proof), or the calibrated range. */
function inputInterval(g: Graph, start: Node, ranges?: Ranges): [number, number] {
  const x = start.inputs[0]!;
  const q = g.tensors.get(x)!.quant!;
  const s = q.scale[0]!;
  const zp = q.zeroPoint[0]!;
  const r = ranges?.get(x);
  let lo = -128;
  let hi = 127;
  if (r) {
    lo = Math.max(-128, Math.min(127, roundHalfAway(r.min / s) + zp));
    hi = Math.max(-128, Math.min(127, roundHalfAway(r.max / s) + zp));
  }
  return [lo - zp, hi - zp];
}

/**
 * The stages of a chain over `path` (MAC layers and the ops between them), quantized as described above, or the
 * reason it cannot be a chain. The bound is filled in by the caller.
 */
export function buildChain(g: Graph, path: Node[], float: Graph, options: QuantizeOptions): MacChainParams | string {
  const stages: ChainStage[] = [];
  const shape = (v: string) => [...g.tensors.get(v)!.shape];
  // accumulator scale per channel of the current values (real = scale[c] * v), and their channel count
  let scale: number[] = [];
  let channels = 1;
  let lastMac: ChainMacStage | undefined;
  const macs = path.filter((n) => MAC_OPS.has(n.op));
  for (const n of path) {
    const inShape = shape(n.inputs[0]!);
    const outShape = shape(n.outputs[0]!);
    if (n.op === 'reshape') {
      const lastAxis = outShape[outShape.length - 1]!;
      if (lastAxis % channels !== 0) return `reshape '${n.name}' to [${outShape}] mixes the ${channels} accumulator channels along its last axis`;
      stages.push({ kind: 'reshape', inShape, outShape });
      continue;
    }
    if (n.op === 'max_pool') {
      const p = n.params as PoolParams;
      if (inShape.length !== 4) return `max_pool '${n.name}' is not 2-D`;
      stages.push({ kind: 'max_pool', kernel: p.kernel, strides: p.strides, dilations: p.dilations, pads: p.pads, ceilMode: p.ceilMode, inShape, outShape });
      continue;
    }
    if (n.op === 'relu') {
      // relu(max(a)) = max(relu(a)): fold into the previous MAC stage's clamp, exact at any positive scale
      const lo = lastMac!.actLo ?? new Int32Array(scale.length).fill(-2147483648);
      lastMac!.actLo = lo.map((v) => Math.max(v, 0));
      if (lastMac!.actHi) lastMac!.actHi = lastMac!.actHi.map((v) => Math.max(v, 0));
      continue;
    }
    const last = n === macs[macs.length - 1];
    const qp = n.params as ConvParams | MacParams;
    if (n.op === 'conv' && ((qp as ConvParams).kernel.length !== 2 || inShape.length !== 4)) return `conv '${n.name}' is not 2-D`;
    const x = g.tensors.get(n.inputs[0]!)!.quant!;
    const y = g.tensors.get(n.outputs[0]!)!.quant!;
    let mac: ConvParams | MacParams;
    let accScale: number[];
    if (!lastMac) {
      // L1: its parameters as the quantizer made them; accumulators at s_x * s_w1[c]
      mac = { ...qp, multipliers: last ? qp.multipliers : [] };
      const cout = qp.weights.shape[0]!;
      accScale = Array.from({ length: cout }, (_, c) => x.scale[0]! * qp.weights.scale[qp.weights.scale.length > 1 ? c : 0]!);
    } else {
      const folded = foldedStage(n, qp, float, scale, channels, options, last ? y.scale[0]! : undefined);
      if (typeof folded === 'string') return folded;
      ({ mac, accScale } = folded);
    }
    const stage: ChainMacStage = { kind: n.op as 'conv' | 'fully_connected', mac, inShape, outShape };
    if (!last) {
      // an intermediate MAC's clamp: the unchained model's int8 output clamp (the calibrated range intersected with
      // the fused activation) at the accumulator scale: the same saturation without the rounding, and a bound the
      // proof can use for every input (ReLU's lower end, the zero point, is exactly 0)
      const at = (q: number) => Int32Array.from(accScale, (s) => sat32(roundHalfAway((y.scale[0]! * (q - y.zeroPoint[0]!)) / s)));
      stage.actLo = at(qp.clampLo);
      stage.actHi = at(qp.clampHi);
    }
    stages.push(stage);
    lastMac = stage;
    scale = accScale;
    channels = outShape[outShape.length - 1]!;
  }
  return { mode: 'qtool', layers: path.map((n) => n.name), stages, bound: 0, limit: INT32_MAX };
}

/**
 * A later MAC stage: its float weights, with the weights that read input channel c multiplied by S[c] / Sref, are
 * quantized with the scheme; bias at Sref * s_w[o]; the multipliers only for the last stage.
 */
function foldedStage(
  n: Node,
  qp: ConvParams | MacParams,
  float: Graph,
  inScale: number[],
  channels: number,
  options: QuantizeOptions,
  yScale: number | undefined,
): { mac: ConvParams | MacParams; accScale: number[] } | string {
  const f = float.nodes.find((m) => m.name === n.name);
  const wName = f?.inputs[1];
  const wt = wName ? float.initializers.get(wName) : undefined;
  if (!f || !wt || !(wt.data instanceof Float32Array)) return `no float weights for '${n.name}'`;
  const bName = f.inputs[2];
  const bt = bName ? float.initializers.get(bName) : undefined;
  const cout = wt.shape[0]!;
  const per = numel(wt.shape) / cout;
  const conv = n.op === 'conv';
  const groups = conv ? (qp as ConvParams).groups : 1;
  const cinG = conv ? wt.shape[wt.shape.length - 1]! : per;
  const coutG = cout / groups;
  if ((cinG * groups) % channels !== 0) return `'${n.name}' reads ${cinG * groups} input channels, not a multiple of the ${channels} accumulator channels`;
  const sref = Math.max(...inScale);
  const w = new Float32Array(wt.data.length);
  for (let o = 0; o < cout; o++)
    for (let e = 0; e < per; e++) {
      const inCh = Math.floor(o / coutG) * cinG + (conv ? e % cinG : e);
      w[o * per + e] = wt.data[o * per + e]! * (inScale[inCh % channels]! / sref);
    }
  const b = bt ? Float32Array.from(bt.data as Float32Array) : new Float32Array(cout);
  const perChannel = options.granularity === 'channel';
  const floor = Array.from(b, (v) => Math.abs(v) / (sref * 2 ** 30));
  const weights = quantizeWeights(w, [...wt.shape], {
    bits: options.bits,
    anchor: options.anchor,
    rounding: options.rounding,
    axis: perChannel ? 0 : undefined,
    minScale: perChannel ? floor : [Math.max(...floor)],
  });
  const accScale = Array.from({ length: cout }, (_, o) => sref * weights.scale[perChannel ? o : 0]!);
  const bias = Int32Array.from(b, (v, o) => sat32(roundHalfAway(v / accScale[o]!)));
  let multipliers: MacParams['multipliers'] = [];
  if (yScale !== undefined) {
    multipliers = weights.scale.map((s) => quantizeMultiplier((sref * s) / yScale));
    if (multipliers.some((m) => m.multiplier === 0)) return `'${n.name}': the chain's output multiplier is below 2^-32`;
  }
  return { mac: { ...qp, inputOffset: 0, weights, bias, multipliers }, accScale };
}

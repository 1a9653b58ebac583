import { fail, isFloat, type Graph, type Tensor } from '@qtool/ir';
import type { ActQuant, QuantizeContext, QuantizeOptions, WeightQuant } from '@qtool/ops';
import { quantizeMultiplier, sat32 } from '@qtool/qmath';
import { roundHalfAway, quantizeWeights } from './weights.js';

/**
 * The QuantizeContext the op files' `quantize` hooks see. It hands out activation parameters (decided by the
 * driver), quantized weights and biases, and remembers which initializers were consumed as parameters.
 */
export class Context implements QuantizeContext {
  /** Initializers this node took as parameters (they leave the node's tensor inputs). */
  readonly consumed = new Set<string>();

  constructor(
    readonly options: QuantizeOptions,
    private readonly graph: Graph,
    private readonly acts: Map<string, ActQuant>,
    private readonly node: string,
    /** quantized weights shared between nodes that read the same constant */
    private readonly cache: Map<string, WeightQuant>,
  ) {}

  act(tensor: string): ActQuant {
    const q = this.acts.get(tensor);
    if (!q) fail('QT400', `no quantization parameters for tensor '${tensor}'`, { node: this.node });
    return q;
  }

  private init(tensor: string): Tensor {
    const t = this.graph.initializers.get(tensor);
    if (!t) fail('QT400', `'${tensor}' must be a constant for integer inference`, { node: this.node });
    this.consumed.add(tensor);
    return t;
  }

  weights(tensor: string, axis: number, minScale?: number[]): WeightQuant {
    const wq = this.cachedWeights(tensor, axis);
    if (this.options.mode === 'tflite' || !minScale || wq.scale.every((s, c) => s >= (minScale[wq.scale.length === 1 ? 0 : c] ?? 0))) return wq;
    // some channel's scale is below its floor: quantize again with the floor (rare: dead channels with a bias)
    const t = this.init(tensor);
    const perChannel = this.options.granularity === 'channel';
    return quantizeWeights(t.data as Float32Array, t.shape, {
      bits: this.options.bits,
      anchor: this.options.anchor,
      rounding: this.options.rounding,
      axis: perChannel ? axis : undefined,
      minScale: perChannel ? minScale : [Math.max(...minScale)],
    });
  }

  private cachedWeights(tensor: string, axis: number): WeightQuant {
    const t = this.init(tensor);
    const key = `${tensor}@${this.options.mode === 'qtool' && this.options.granularity === 'tensor' ? '-' : axis}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    let wq: WeightQuant;
    if (this.options.mode === 'tflite') wq = keptWeights(t, tensor, this.graph, this.node);
    else {
      if (!isFloat(t.dtype)) fail('QT400', `weights '${tensor}' are ${t.dtype}; quantize the float model or use --keep-quant`, { node: this.node });
      wq = quantizeWeights(t.data as Float32Array, t.shape, {
        bits: this.options.bits,
        anchor: this.options.anchor,
        rounding: this.options.rounding,
        axis: this.options.granularity === 'channel' ? axis : undefined,
      });
    }
    this.cache.set(key, wq);
    return wq;
  }

  constant(tensor: string): Float32Array {
    const t = this.init(tensor);
    const info = this.graph.tensors.get(tensor);
    if (isFloat(t.dtype)) return Float32Array.from(t.data as Float32Array);
    const q = info?.quant;
    const out = new Float32Array(t.data.length);
    for (let i = 0; i < out.length; i++) {
      const c = q && q.scale.length > 1 && q.axis !== undefined ? channelOf(t.shape, q.axis, i) : 0;
      out[i] = q ? q.scale[c]! * (Number(t.data[i]) - q.zeroPoint[c]!) : Number(t.data[i]);
    }
    return out;
  }

  bias(tensor: string | undefined, scales: number[], channels: number): Int32Array {
    const out = new Int32Array(channels);
    if (!tensor) return out;
    const t = this.init(tensor);
    if (t.dtype === 'int32' && this.options.mode === 'tflite') {
      out.set(t.data as Int32Array);
      return out;
    }
    const b = this.constant(tensor);
    for (let c = 0; c < channels; c++) out[c] = sat32(roundHalfAway(b[c]! / (scales[scales.length === 1 ? 0 : c]!)));
    return out;
  }

  multiplier(real: number) {
    return quantizeMultiplier(real);
  }
}

function channelOf(shape: number[], axis: number, i: number): number {
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return Math.floor(i / inner) % shape[axis]!;
}

/** A TFLite int8 weight tensor as-is: signed q, offsets 0 (zero points must be 0, as TFLite requires). */
function keptWeights(t: Tensor, name: string, g: Graph, node: string): WeightQuant {
  const q = g.tensors.get(name)?.quant;
  if (t.dtype !== 'int8' || !q) fail('QT400', `--keep-quant needs int8 weights with quantization parameters, '${name}' is ${t.dtype}`, { node });
  if (q.zeroPoint.some((z) => z !== 0)) fail('QT400', `weights '${name}' have a nonzero zero point; TFLite int8 weights are symmetric`, { node });
  const per = q.scale.length > 1;
  return {
    bits: 8,
    signed: true,
    anchor: 'min',
    axis: per ? q.axis : undefined,
    scale: [...q.scale],
    offset: q.scale.map(() => 0),
    shape: [...t.shape],
    q: Int16Array.from(t.data as Int8Array),
  };
}

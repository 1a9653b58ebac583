import { describe, expect, it } from 'vitest';
import { emptyGraph, makeTensor, numel, type Graph, type Tensor } from '@qtool/ir';
import { cName, emitModel, targets } from '@qtool/codegen';
import { inferShapes, type MacChainParams, type QuantizeOptions } from '@qtool/ops';
import { INT32_MAX } from '@qtool/qmath';
import { calibrate, formChains, quantizeGraph, type Ranges } from '@qtool/quantizer';
import { runInt } from '@qtool/sim';
import { HostBuilder, runHost } from '../diff/c-build.js';
import { floatSamples, int8Inputs, randomModel } from '../diff/random-models.js';
import { randomChainModel, tightChain } from './chain-models.js';

// Chains, simulator vs host C, no tolerance: random models built from chain material (and the differential
// suite's own random models), quantized, chained with --chain auto's rewrite, emitted, built and run on random
// int8 inputs plus the extremes (all -128, all 127, alternating); every output byte must equal the simulator's.
// QT_CHAIN_MODELS (default 200) sets how many chain models.

const MODELS = Number(process.env.QT_CHAIN_MODELS ?? 200);
/** conv + max_pool stages emitted as one qt_chain_conv_pool call (the conv output never stored) */
let convPools = 0;

function inputsFor(q: Graph, seed: number): Tensor[][] {
  const shape = q.tensors.get(q.inputs[0]!)!.shape;
  const fill = (f: (i: number) => number) => [makeTensor('int8', shape, Int8Array.from({ length: numel(shape) }, (_, i) => f(i)))];
  return [...int8Inputs(q, seed, 3), fill(() => -128), fill(() => 127), fill((i) => (i % 2 ? 127 : -128)), fill((i) => (i % 3 ? -128 : 127))];
}

function compare(builder: HostBuilder, id: string, q: Graph, inputs: Tensor[][], what: string, mismatches: string[]): number {
  const name = cName(id);
  const emitted = emitModel({ graph: q, name, target: targets.host, tool: 'qtool-test', sourceFile: id, sourceSha256: '0'.repeat(64), options: '--chain auto' });
  convPools += emitted.files.get(`${name}.c`)!.split('qt_chain_conv_pool(&').length - 1;
  let exe: string;
  try {
    exe = builder.build(id, emitted.files, name);
  } catch (e) {
    mismatches.push(`${what}: C build failed: ${String((e as { stderr?: Buffer }).stderr ?? e).slice(0, 800)}`);
    return 0;
  }
  const stdin = new Uint8Array(inputs.flatMap((ins) => ins.flatMap((t) => Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)))));
  const got = runHost(exe, stdin);
  const outBytes = numel(q.tensors.get(q.outputs[0]!)!.shape);
  expect(got.length).toBe(outBytes * inputs.length);
  inputs.forEach((ins, s) => {
    const want = runInt(q, new Map([[q.inputs[0]!, ins[0]!]])).get(q.outputs[0]!)!.data as Int8Array;
    const have = new Int8Array(got.buffer, got.byteOffset + s * outBytes, outBytes);
    const bad = want.findIndex((v, i) => v !== have[i]);
    if (bad >= 0) mismatches.push(`${what}: input ${s} element ${bad}: C ${have[bad]} vs sim ${want[bad]}`);
  });
  return inputs.length;
}

describe('chains: generated C equals the integer simulator', () => {
  it(`${MODELS} random chain models + 150 differential-suite models, 0 mismatches`, { timeout: 30 * 60_000 }, () => {
    const builder = new HostBuilder();
    const mismatches: string[] = [];
    let compared = 0;
    let chains = 0;
    let stages = 0;
    let refused = 0;
    const byBits = new Map<number, number>();
    for (let seed = 1; seed <= MODELS; seed++) {
      const m = randomChainModel(seed);
      const opts: QuantizeOptions = { mode: 'qtool', granularity: 'channel', anchor: 'min', rounding: 'offset', ...m.options };
      const ranges = calibrate(m.graph, floatSamples(m.graph, seed, 4));
      const r = formChains(quantizeGraph(m.graph, ranges, opts), m.graph, opts, ranges);
      refused += r.refused.length;
      if (!r.chains.length) continue;
      chains += r.chains.length;
      byBits.set(opts.bits, (byBits.get(opts.bits) ?? 0) + r.chains.length);
      for (const n of r.graph.nodes) if (n.op === 'mac_chain') stages += (n.params as MacChainParams).stages.length;
      compared += compare(builder, `c${seed}`, r.graph, inputsFor(r.graph, seed * 31), m.description, mismatches);
    }
    for (let seed = 1; seed <= 150; seed++) {
      const m = randomModel(seed);
      const opts: QuantizeOptions = { mode: 'qtool', bits: 8, granularity: 'channel', anchor: 'min', rounding: 'offset', ...m.options };
      const ranges = calibrate(m.graph, floatSamples(m.graph, seed, 4));
      const r = formChains(quantizeGraph(m.graph, ranges, opts), m.graph, opts, ranges);
      if (!r.chains.length) continue;
      chains += r.chains.length;
      compared += compare(builder, `d${seed}`, r.graph, inputsFor(r.graph, seed * 7919), m.description, mismatches);
    }
    console.log(`chains: ${chains} chains formed (${stages} stages; by weight bits ${JSON.stringify(Object.fromEntries([...byBits].sort((a, b) => a[0] - b[0])))}), ${refused} candidates refused, ${convPools} conv+max_pool stages fused, ${compared} inferences compared, ${mismatches.length} mismatches`);
    expect(mismatches).toEqual([]);
    expect(chains).toBeGreaterThan(MODELS / 4); // not vacuous
    expect(convPools).toBeGreaterThan(MODELS / 20);
  });

  it('a chain whose proven bound is exactly INT32_MAX: the adversarial input reaches it, C equals the simulator', () => {
    const r = tightChain();
    expect(r.chains[0]!.bound).toBe(INT32_MAX);
    const q = r.graph;
    const x = (a: number, b: number) => [makeTensor('int8', [1, 2], Int8Array.from([a, b]))];
    const mismatches: string[] = [];
    const inputs = [x(127, 127), x(127, -128), x(-128, 127), x(-128, -128), x(100, 5)];
    expect(compare(new HostBuilder(), 'tight', q, inputs, 'tight chain', mismatches)).toBe(5);
    expect(mismatches).toEqual([]);
    // the output scale puts INT32_MAX inside the int8 range: the largest accumulator is visible in the output
    const y = runInt(q, new Map([[q.inputs[0]!, inputs[0]![0]!]])).get(q.outputs[0]!)!.data as Int8Array;
    const yq = q.tensors.get(q.outputs[0]!)!.quant!;
    expect(Math.abs(yq.scale[0]! * (y[0]! - yq.zeroPoint[0]!) - INT32_MAX / 16581375)).toBeLessThan(yq.scale[0]!);
  });
});

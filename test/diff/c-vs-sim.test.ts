import { describe, expect, it } from 'vitest';
import { numel, type Tensor } from '@qtool/ir';
import { cName, emitModel, targets } from '@qtool/codegen';
import { calibrate, quantizeGraph } from '@qtool/quantizer';
import { runInt } from '@qtool/sim';
import { HostBuilder, runHost } from './c-build.js';
import { floatSamples, int8Inputs, randomModel } from './random-models.js';

// Differential testing, no tolerance: random models (op sequences, shapes, strides, padding, 2-8 bit weights,
// both anchors, per-tensor/per-channel, both rounding variants) are quantized, emitted as C, built for the host
// and run; every output byte must equal the integer simulator's. MODELS (default 520) sets how many.

const MODELS = Number(process.env.QT_DIFF_MODELS ?? 520);
const INPUTS = 3;

describe('generated C equals the integer simulator on random models', () => {
  it(`${MODELS} random models x ${INPUTS} inputs, 0 mismatches`, { timeout: 30 * 60_000 }, () => {
    const builder = new HostBuilder();
    const mismatches: string[] = [];
    let compared = 0;
    for (let seed = 1; seed <= MODELS; seed++) {
      const m = randomModel(seed);
      const q = quantizeGraph(m.graph, calibrate(m.graph, floatSamples(m.graph, seed, 4)), m.options);
      const name = cName(`rand${seed}`);
      const emitted = emitModel({ graph: q, name, target: targets.host, tool: 'qtool-test', sourceFile: `rand${seed}`, sourceSha256: '0'.repeat(64), options: JSON.stringify(m.options) });
      let exe: string;
      try {
        exe = builder.build(`m${seed}`, emitted.files, name);
      } catch (e) {
        mismatches.push(`${m.description}: C build failed: ${String((e as { stderr?: Buffer }).stderr ?? e).slice(0, 600)}`);
        continue;
      }
      const inputs = int8Inputs(q, seed * 7919, INPUTS);
      const stdin = new Uint8Array(inputs.flatMap((ins) => ins.flatMap((t) => Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)))));
      const got = runHost(exe, stdin);
      const outBytes = q.outputs.reduce((s, o) => s + numel(q.tensors.get(o)!.shape), 0);
      expect(got.length).toBe(outBytes * INPUTS);
      inputs.forEach((ins, s) => {
        const sim = runInt(q, new Map(q.inputs.map((n, k) => [n, ins[k] as Tensor])));
        let off = s * outBytes;
        for (const o of q.outputs) {
          const want = sim.get(o)!.data as Int8Array;
          const have = new Int8Array(got.buffer, got.byteOffset + off, want.length);
          const bad = want.findIndex((v, i) => v !== have[i]);
          if (bad >= 0) mismatches.push(`${m.description}: input ${s}, output '${o}' element ${bad}: C ${have[bad]} vs sim ${want[bad]}`);
          off += want.length;
          compared++;
        }
      });
    }
    console.log(`differential: ${MODELS} random models, ${compared} outputs compared, ${mismatches.length} mismatches`);
    expect(mismatches).toEqual([]);
  });
});

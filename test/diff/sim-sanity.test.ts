import { describe, expect, it } from 'vitest';
import { verify } from '@qtool/ir';
import { knownOps } from '@qtool/ops';
import { calibrate, quantizeGraph } from '@qtool/quantizer';
import { runInt } from '@qtool/sim';
import { floatSamples, int8Inputs, randomModel } from './random-models.js';

// The random-model generator itself: every model verifies, quantizes and runs in the integer simulator, and
// the integer outputs track the float model (a loose bound: this checks the generator and quantizer
// plumbing; exactness of the C is checked against the simulator, not against float).

describe('random model generator', () => {
  it('produces 200 models that verify, quantize and run', () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const m = randomModel(seed);
      try {
        verify(m.graph, knownOps);
        const ranges = calibrate(m.graph, floatSamples(m.graph, seed, 4));
        const q = quantizeGraph(m.graph, ranges, m.options);
        for (const ins of int8Inputs(q, seed, 2)) {
          const out = runInt(q, new Map(q.inputs.map((n, k) => [n, ins[k]!])));
          for (const o of q.outputs) expect(out.get(o)!.dtype).toBe('int8');
        }
      } catch (e) {
        failures.push(`${m.description}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

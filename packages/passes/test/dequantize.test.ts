import { describe, expect, it } from 'vitest';
import { emptyGraph, makeTensor, printGraph, type DType, type Graph, type QuantParams } from '@qtool/ir';
import { inferShapes } from '@qtool/ops';
import { runFloat } from '@qtool/sim';
import { dequantizeGraph, dequantizeTensor } from '../src/index.js';

// Before/after IR text (STYLE.md habit 12) for the dequantize pass.

function value(g: Graph, name: string, dtype: DType, shape: number[], quant?: QuantParams) {
  g.tensors.set(name, { name, dtype, shape, quant });
}

/** float x -> quantize -> int8 -> add(int8 const) -> requantize (dequantize + quantize) -> dequantize -> float y */
function quantizedGraph(): Graph {
  const g = emptyGraph('q');
  const qa = { scale: [0.5], zeroPoint: [-1] };
  const qb = { scale: [0.25], zeroPoint: [0] };
  value(g, 'x', 'float32', [1, 3]);
  g.inputs.push('x');
  value(g, 'c', 'int8', [1, 3], { scale: [0.1, 0.2, 0.3], zeroPoint: [0, 1, 2], axis: 1 });
  g.initializers.set('c', makeTensor('int8', [1, 3], [10, 11, 12]));
  value(g, 'xq', 'int8', [1, 3], qa);
  value(g, 's', 'int8', [1, 3], qa);
  value(g, 's_real', 'float32', [1, 3]);
  value(g, 's2', 'int8', [1, 3], qb);
  value(g, 'y', 'float32', [1, 3]);
  g.nodes.push(
    { name: 'quant', op: 'quantize', inputs: ['x'], outputs: ['xq'], attrs: { ...qa, dtype: 'int8' } },
    { name: 'add', op: 'add', inputs: ['xq', 'c'], outputs: ['s'], attrs: { actMin: 0 } },
    { name: 'requant/dq', op: 'dequantize', inputs: ['s'], outputs: ['s_real'], attrs: { ...qa } },
    { name: 'requant', op: 'quantize', inputs: ['s_real'], outputs: ['s2'], attrs: { ...qb, dtype: 'int8' } },
    { name: 'dequant', op: 'dequantize', inputs: ['s2'], outputs: ['y'], attrs: { ...qb } },
  );
  g.outputs.push('y');
  return g;
}

describe('dequantize', () => {
  it('turns quantized constants and values into float32 and drops quantize/dequantize', () => {
    const g = quantizedGraph();
    const before = printGraph(g);
    const f = dequantizeGraph.run(g);
    expect(printGraph(g)).toBe(before); // a pure function
    expect(printGraph(f)).toBe(
      [
        'graph q',
        '  input  x: float32[1,3]',
        '  const  c: float32[1,3] q(s=[0.1,0.2,0.3] zp=[0,1,2] axis=1)',
        // y takes over the add's output and its quantization annotation
        '  add = add(x, c) {actMin=0} -> y: float32[1,3] q(s=[0.5] zp=[-1])',
        '  output y: float32[1,3] q(s=[0.5] zp=[-1])',
        '',
      ].join('\n'),
    );
    expect(Array.from(f.initializers.get('c')!.data as Float32Array)).toEqual([1, 2, 3].map(Math.fround));
    const y = runFloat(inferShapes(f), { x: makeTensor('float32', [1, 3], [-5, 0.5, 1]) }).get('y')!;
    expect(Array.from(y.data as Float32Array)).toEqual([0, 2.5, 4]);
  });

  it('dequantizes per axis: real = scale * (q - zeroPoint)', () => {
    const t = dequantizeTensor(makeTensor('int8', [2, 3], [0, 1, 2, 3, 4, 5]), { scale: [1, 10], zeroPoint: [1, -1], axis: 0 });
    expect(Array.from(t.data as Float32Array)).toEqual([-1, 0, 1, 40, 50, 60]);
    const b = dequantizeTensor(makeTensor('int32', [3], [100, -200, 300]), { scale: [0.5], zeroPoint: [0] });
    expect(Array.from(b.data as Float32Array)).toEqual([50, -100, 150]);
  });

  it('an int8 graph input and output become float32, keeping the annotation', () => {
    const g = emptyGraph('i');
    const q = { scale: [0.5], zeroPoint: [3] };
    value(g, 'x', 'int8', [4], q);
    value(g, 'y', 'int8', [4], q);
    g.inputs.push('x');
    g.nodes.push({ name: 'r', op: 'relu', inputs: ['x'], outputs: ['y'], attrs: {} });
    g.outputs.push('y');
    expect(printGraph(dequantizeGraph.run(g))).toBe(
      [
        'graph i',
        '  input  x: float32[4] q(s=[0.5] zp=[3])',
        '  r = relu(x) -> y: float32[4] q(s=[0.5] zp=[3])',
        '  output y: float32[4] q(s=[0.5] zp=[3])',
        '',
      ].join('\n'),
    );
  });

  it('a quantize from a graph input straight to a graph output becomes an identity reshape', () => {
    const g = emptyGraph('qo');
    value(g, 'x', 'float32', [2]);
    value(g, 'y', 'int8', [2], { scale: [1], zeroPoint: [0] });
    g.inputs.push('x');
    g.nodes.push({ name: 'q', op: 'quantize', inputs: ['x'], outputs: ['y'], attrs: { scale: [1], zeroPoint: [0], dtype: 'int8' } });
    g.outputs.push('y');
    expect(printGraph(dequantizeGraph.run(g))).toContain('q = reshape(x) {shape=[2]} -> y: float32[2] q(s=[1] zp=[0])');
  });

  it('leaves integer values without quantization alone', () => {
    const g = emptyGraph('ints');
    value(g, 'x', 'int32', [2]);
    value(g, 'y', 'int32', [2]);
    g.inputs.push('x');
    g.nodes.push({ name: 'r', op: 'relu', inputs: ['x'], outputs: ['y'], attrs: {} });
    g.outputs.push('y');
    expect(printGraph(dequantizeGraph.run(g))).toBe(printGraph(g));
  });
});

import { describe, expect, it } from 'vitest';
import { emptyGraph, makeTensor, printGraph, toNumbers, type DType, type Graph } from '@qtool/ir';
import { constantFold, dropIdentityReshapes, foldBatchNorm, fuseActivations } from '../src/index.js';

// Pass tests are before/after IR text (STYLE.md habit 12). Graphs are built by hand with their shapes set.

function builder(name: string) {
  const g: Graph = emptyGraph(name);
  const api = {
    g,
    input(n: string, shape: number[], dtype: DType = 'float32') {
      g.inputs.push(n);
      g.tensors.set(n, { name: n, dtype, shape });
      return api;
    },
    init(n: string, shape: number[], data: number[]) {
      g.initializers.set(n, makeTensor('float32', shape, data));
      g.tensors.set(n, { name: n, dtype: 'float32', shape });
      return api;
    },
    node(n: string, op: string, inputs: string[], out: string, shape: number[], attrs = {}) {
      g.nodes.push({ name: n, op, inputs, outputs: [out], attrs });
      g.tensors.set(out, { name: out, dtype: 'float32', shape });
      return api;
    },
    output(n: string) {
      g.outputs.push(n);
      return api;
    },
  };
  return api;
}

describe('fold-batchnorm', () => {
  it('scales conv weights and bias per output channel', () => {
    const { g } = builder('bn')
      .input('x', [1, 2, 2, 1])
      .init('w', [2, 1, 1, 1], [1, 2])
      .init('b', [2], [0.5, -1])
      .init('gamma', [2], [2, 3])
      .init('beta', [2], [1, 0])
      .init('mean', [2], [0.5, 1])
      .init('var', [2], [3, 8])
      .node('c', 'conv', ['x', 'w', 'b'], 'y', [1, 2, 2, 2], { strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], groups: 1 })
      .node('n', 'batch_norm', ['y', 'gamma', 'beta', 'mean', 'var'], 'z', [1, 2, 2, 2], { epsilon: 1 })
      .output('z');
    const out = foldBatchNorm.run(g);
    expect(printGraph(out)).toBe(
      [
        'graph bn',
        '  input  x: float32[1,2,2,1]',
        '  const  c_w_bn: float32[2,1,1,1]',
        '  const  c_b_bn: float32[2]',
        '  c = conv(x, c_w_bn, c_b_bn) {dilations=[1,1] groups=1 pads=[0,0,0,0] strides=[1,1]} -> z: float32[1,2,2,2]',
        '  output z: float32[1,2,2,2]',
        '',
      ].join('\n'),
    );
    // k = gamma / sqrt(var + eps) = [2/2, 3/3] = [1, 1]: weights unchanged; bias = (b - mean) * k + beta
    expect(toNumbers(out.initializers.get('c_w_bn')!)).toEqual([1, 2]);
    expect(toNumbers(out.initializers.get('c_b_bn')!)).toEqual([1, -2]);
    // the input graph is untouched (passes are pure)
    expect(g.nodes.length).toBe(2);
  });

  it('leaves a conv with a fused clamp alone', () => {
    const { g } = builder('bn2')
      .input('x', [1, 1, 1, 1])
      .init('w', [1, 1, 1, 1], [1])
      .init('s', [1], [1])
      .node('c', 'conv', ['x', 'w', ''], 'y', [1, 1, 1, 1], { actMin: 0 })
      .node('n', 'batch_norm', ['y', 's', 's', 's', 's'], 'z', [1, 1, 1, 1], { epsilon: 0 })
      .output('z');
    expect(printGraph(foldBatchNorm.run(g))).toBe(printGraph(g));
  });
});

describe('fuse-activations', () => {
  it('turns conv + relu6 clip into conv with clamp bounds, keeping the output name', () => {
    const { g } = builder('act')
      .input('x', [1, 4])
      .init('w', [2, 4], [1, 2, 3, 4, 5, 6, 7, 8])
      .node('fc', 'fully_connected', ['x', 'w', ''], 't', [1, 2])
      .node('r', 'clip', ['t'], 'y', [1, 2], { min: 0, max: 6 })
      .output('y');
    expect(printGraph(fuseActivations.run(g))).toContain('fc = fully_connected(x, w, ) {actMax=6 actMin=0} -> y: float32[1,2]');
  });

  it('does not fuse when the pre-activation value has another reader', () => {
    const { g } = builder('act2')
      .input('x', [1, 2])
      .input('x2', [1, 2])
      .node('a', 'add', ['x', 'x2'], 't', [1, 2])
      .node('r', 'relu', ['t'], 'y', [1, 2])
      .node('m', 'mul', ['t', 'y'], 'z', [1, 2])
      .output('z');
    expect(printGraph(fuseActivations.run(g))).toBe(printGraph(g));
  });

  it('intersects an existing clamp with relu', () => {
    const { g } = builder('act3')
      .input('x', [1, 2])
      .input('x2', [1, 2])
      .node('a', 'add', ['x', 'x2'], 't', [1, 2], { actMin: -1, actMax: 1 })
      .node('r', 'relu', ['t'], 'y', [1, 2])
      .output('y');
    expect(printGraph(fuseActivations.run(g))).toContain('a = add(x, x2) {actMax=1 actMin=0} -> y');
  });
});

describe('drop-identity-reshapes', () => {
  it('removes identity reshapes, merges chains and turns unit-axis transposes into reshapes', () => {
    const { g } = builder('shape')
      .input('x', [1, 1, 4, 4])
      .node('t', 'transpose', ['x'], 'a', [1, 4, 4, 1], { perm: [0, 2, 3, 1] })
      .node('r1', 'reshape', ['a'], 'b', [1, 16], { shape: [1, 16] })
      .node('r2', 'reshape', ['b'], 'c', [16], { shape: [16] })
      .node('r3', 'reshape', ['c'], 'd', [16], { shape: [16] })
      .node('u', 'relu', ['d'], 'y', [16])
      .output('y');
    expect(printGraph(dropIdentityReshapes.run(g))).toBe(
      [
        'graph shape',
        '  input  x: float32[1,1,4,4]',
        '  r2 = reshape(x) {shape=[16]} -> c: float32[16]',
        '  u = relu(c) -> y: float32[16]',
        '  output y: float32[16]',
        '',
      ].join('\n'),
    );
  });

  it('cancels a transpose pair', () => {
    const { g } = builder('tt')
      .input('x', [1, 2, 3, 4])
      .node('t1', 'transpose', ['x'], 'a', [1, 3, 4, 2], { perm: [0, 2, 3, 1] })
      .node('t2', 'transpose', ['a'], 'b', [1, 2, 3, 4], { perm: [0, 3, 1, 2] })
      .node('u', 'relu', ['b'], 'y', [1, 2, 3, 4])
      .output('y');
    expect(printGraph(dropIdentityReshapes.run(g))).toBe(
      ['graph tt', '  input  x: float32[1,2,3,4]', '  u = relu(x) -> y: float32[1,2,3,4]', '  output y: float32[1,2,3,4]', ''].join('\n'),
    );
  });

  it('keeps the graph output name when the last node is an identity', () => {
    const { g } = builder('out')
      .input('x', [2, 2])
      .node('u', 'relu', ['x'], 'a', [2, 2])
      .node('r', 'reshape', ['a'], 'y', [2, 2], { shape: [2, 2] })
      .output('y');
    expect(printGraph(dropIdentityReshapes.run(g))).toBe(
      ['graph out', '  input  x: float32[2,2]', '  u = relu(x) -> y: float32[2,2]', '  output y: float32[2,2]', ''].join('\n'),
    );
  });
});

describe('constant-fold', () => {
  it('evaluates initializer-only nodes into initializers', () => {
    const { g } = builder('cf')
      .input('x', [2, 3])
      .init('w', [3, 2], [1, 2, 3, 4, 5, 6])
      .node('t', 'transpose', ['w'], 'wt', [2, 3], { perm: [1, 0] })
      .node('a', 'add', ['x', 'wt'], 'y', [2, 3])
      .output('y');
    const out = constantFold.run(g);
    expect(printGraph(out)).toBe(
      ['graph cf', '  input  x: float32[2,3]', '  const  wt: float32[2,3]', '  a = add(x, wt) -> y: float32[2,3]', '  output y: float32[2,3]', ''].join('\n'),
    );
    expect(toNumbers(out.initializers.get('wt')!)).toEqual([1, 3, 5, 2, 4, 6]);
  });
});

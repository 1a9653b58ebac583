import { describe, expect, it } from 'vitest';
import { emptyGraph, makeTensor, printGraph, QtError, verify } from '../src/index.js';

function tiny() {
  const g = emptyGraph('tiny', { format: 'onnx', opset: 13 });
  g.inputs.push('x');
  g.tensors.set('x', { name: 'x', dtype: 'float32', shape: [1, 4] });
  g.initializers.set('w', makeTensor('float32', [2, 4], [1, 2, 3, 4, 5, 6, 7, 8]));
  g.tensors.set('w', { name: 'w', dtype: 'float32', shape: [2, 4] });
  g.nodes.push({ name: 'fc', op: 'fully_connected', inputs: ['x', 'w', ''], outputs: ['y'], attrs: { actMin: 0 } });
  g.tensors.set('y', { name: 'y', dtype: 'float32', shape: [1, 2], quant: { scale: [0.5], zeroPoint: [-3] } });
  g.outputs.push('y');
  return g;
}

describe('printer', () => {
  it('prints a stable text form', () => {
    expect(printGraph(tiny())).toBe(
      [
        'graph tiny (onnx opset 13)',
        '  input  x: float32[1,4]',
        '  const  w: float32[2,4]',
        '  fc = fully_connected(x, w, ) {actMin=0} -> y: float32[1,2] q(s=[0.5] zp=[-3])',
        '  output y: float32[1,2] q(s=[0.5] zp=[-3])',
        '',
      ].join('\n'),
    );
  });
});

describe('verify', () => {
  it('accepts a well-formed graph', () => {
    expect(() => verify(tiny())).not.toThrow();
  });

  it('reports every structural problem at once, coded QT200', () => {
    const g = tiny();
    g.nodes[0]!.inputs[0] = 'missing';
    g.outputs.push('nowhere');
    try {
      verify(g);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(QtError);
      const d = (e as QtError).diagnostics;
      expect(d.map((x) => x.code)).toEqual(['QT200', 'QT200']);
      expect(d[0]!.where?.node).toBe('fc');
      expect(d[1]!.message).toContain("'nowhere'");
    }
  });

  it('reports unregistered ops with QT202', () => {
    expect(() => verify(tiny(), new Set(['conv']))).toThrow(/QT202/);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { QtError } from '@qtool/ir';
import { importTflite } from '../src/index.js';
import { buildTflite, convOptions, element, f32bytes, fieldTarget, rootTable, writeU32 } from './tflite-build.js';

// A malformed file must give QT120 naming the byte offset and field: never a crash, a hang or a huge allocation.

const model = buildTflite({
  tensors: [
    { name: 'x', shape: [1, 4, 4, 1], type: 0 },
    { name: 'w', shape: [2, 3, 3, 1], type: 0, data: f32bytes(Array.from({ length: 18 }, (_, i) => i / 10)) },
    { name: 'y', shape: [1, 2, 2, 2], type: 0 },
  ],
  ops: [{ code: 3, inputs: [0, 1, -1], outputs: [2], optionsType: 1, options: convOptions({ padding: 0, strideW: 2, strideH: 2 }) }],
  inputs: [0],
  outputs: [2],
});

function outcome(bytes: Uint8Array): QtError | undefined {
  try {
    importTflite(bytes, 'm.tflite');
    return undefined;
  } catch (e) {
    if (e instanceof QtError) return e;
    throw e;
  }
}

/** subgraphs[0].operators[0] table position. */
function operator0(b: Uint8Array): number {
  const sg = element(b, fieldTarget(b, rootTable(b), 2), 0);
  return element(b, fieldTarget(b, sg, 3), 0);
}

describe('TFLite malformed files', () => {
  it('the unmodified model imports', () => {
    expect(outcome(model)).toBeUndefined();
  });

  it('every truncation gives a QtError, QT120 with a byte offset', () => {
    for (let n = 0; n < model.length; n++) {
      const e = outcome(model.subarray(0, n));
      expect(e, `truncated to ${n} bytes`).toBeInstanceOf(QtError);
      expect(e!.code, `truncated to ${n} bytes: ${e!.message}`).toBe('QT120');
      expect(e!.diagnostics[0]!.where?.offset, `truncated to ${n} bytes`).toBeTypeOf('number');
    }
  });

  it('a vector length past the end of the file names the field and offset', () => {
    const b = model.slice();
    const vec = fieldTarget(b, operator0(b), 1); // operators[0].inputs
    writeU32(b, vec, 4_000_000);
    const e = outcome(b)!;
    expect(e.code).toBe('QT120');
    expect(e.diagnostics[0]!.where).toMatchObject({ offset: vec, field: 'model.subgraphs[0].operators[0].inputs' });
    expect(e.message).toContain('vector length 4000000 past end of file');
  });

  it('an offset pointing outside the file', () => {
    const b = model.slice();
    writeU32(b, 0, 0x7fff_fff0);
    const e = outcome(b)!;
    expect(e.code).toBe('QT120');
    expect(e.message).toContain('past end of file');
  });

  it('a broken vtable', () => {
    const b = model.slice();
    const root = rootTable(b);
    writeU32(b, root, 0x8000_0000); // soffset to the vtable far outside the file
    expect(outcome(b)!.code).toBe('QT120');
  });

  it('a tensor index out of range', () => {
    const b = model.slice();
    const vec = fieldTarget(b, operator0(b), 2); // operators[0].outputs
    writeU32(b, vec + 4, 99);
    const e = outcome(b)!;
    expect(e.code).toBe('QT120');
    expect(e.diagnostics[0]!.where?.field).toBe('subgraphs[0].operators[0].outputs[0]');
  });

  it('a wrong file identifier', () => {
    const b = model.slice();
    b.set([0x58, 0x58, 0x58, 0x58], 4);
    expect(outcome(b)!.diagnostics[0]!.where?.offset).toBe(4);
  });

  it('random byte corruption never crashes', () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const corpusModel = path.resolve(here, '../../../../shared/corpus/tflite-micro/examples/hello_world/models/hello_world_int8.tflite');
    const seeds = [model, ...(existsSync(corpusModel) ? [new Uint8Array(readFileSync(corpusModel))] : [])];
    let state = 12345;
    const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296);
    for (const base of seeds)
      for (let k = 0; k < 400; k++) {
        const b = base.slice();
        const flips = 1 + Math.floor(next() * 4);
        for (let f = 0; f < flips; f++) b[Math.floor(next() * b.length)] = Math.floor(next() * 256);
        outcome(b); // returns or throws QtError; anything else fails the test
      }
  });
});

import { describe, expect, it } from 'vitest';
import { runtimeDir } from '../src/emit.js';
import { parseCalls, parseDeclarations, parseExpr, readRuntimeC } from '../src/blob/ctext.js';

// The C-text reader of the model-image writer: the runtime headers' struct layouts on a 32-bit core, and the
// initializers and calls the emitters write (cInt's INT32_MIN and u-suffixed literals, designated and positional
// initializers, nested structs, & and NULL, arena sums). Anything it cannot read is QT500, never a guess.

describe('readRuntimeC', () => {
  const rt = readRuntimeC(runtimeDir);
  it('lays the params structs out as 32-bit words, nested structs and arrays included', () => {
    const conv = rt.structs.get('qt_conv_params_t')!;
    expect(conv.fields.map((f) => [f.name, f.offset])).toContainEqual(['weights', 80]);
    expect(conv.bytes).toBe(27 * 4);
    expect(rt.structs.get('qt_requant_t')!.bytes).toBe(8);
    expect(rt.structs.get('qt_broadcast_t')!.bytes).toBe(4 + 3 * 6 * 4);
    const add = rt.structs.get('qt_add_params_t')!;
    expect(add.fields[0]).toMatchObject({ name: 'bc', type: { kind: 'struct', name: 'qt_broadcast_t' }, offset: 0 });
    expect(add.fields[1]).toMatchObject({ name: 'mode', offset: 76 });
    expect(rt.structs.get('qt_matmul_params_t')!.fields.find((f) => f.name === 'requant')).toMatchObject({ type: { kind: 'struct', name: 'qt_requant_t' } });
    expect(rt.macros.get('QT_MODE_TFLITE')).toBe(1);
    expect(rt.macros.get('QT_MAX_DIMS')).toBe(6);
  });
});

describe('the emitters\' C', () => {
  it('reads declarations: designated, nested, arrays, & and NULL, macros, INT32_MIN and u literals', () => {
    const d = parseDeclarations(`/* l3 weights */
static const qt_add_params_t l3 = {
  .bc = { .rank = 2, .shape = { 4, 5, 0, 0, 0, 0 } },
  .mode = QT_MODE_TFLITE,
  .input1_offset = (-2147483647 - 1),
  .output_multiplier = 4294967295u,
  .act_min = -128,
};
static const qt_conv_params_t l4_p = { .weights = &l4_wd, .bias = NULL, .requant = l4_rq };`);
    expect(d.map((x) => [x.type, x.name])).toEqual([['qt_add_params_t', 'l3'], ['qt_conv_params_t', 'l4_p']]);
    expect(d[0]!.init).toEqual({
      kind: 'designated',
      fields: [
        ['bc', { kind: 'designated', fields: [['rank', { kind: 'int', value: 2 }], ['shape', { kind: 'list', items: [4, 5, 0, 0, 0, 0].map((value) => ({ kind: 'int', value })) }]] }],
        ['mode', { kind: 'name', name: 'QT_MODE_TFLITE', address: false }],
        ['input1_offset', { kind: 'int', value: -2147483648 }],
        ['output_multiplier', { kind: 'int', value: 4294967295 }],
        ['act_min', { kind: 'int', value: -128 }],
      ],
    });
    expect(d[1]!.init).toMatchObject({ fields: [['weights', { name: 'l4_wd', address: true }], ['bias', { name: 'NULL' }], ['requant', { name: 'l4_rq', address: false }]] });
  });

  it('reads calls with their comments, arena sums, caller buffers and integers', () => {
    expect(parseCalls('qt_concat_s8(&l5_in0, qt_arena + 64, output0); /* input 0 */\n  qt_copy_s8(input0, qt_arena, 784); /* reshape */')).toEqual([
      { fn: 'qt_concat_s8', args: [{ kind: 'name', name: 'l5_in0', address: true }, { kind: 'sum', name: 'qt_arena', plus: 64 }, { kind: 'name', name: 'output0', address: false }] },
      { fn: 'qt_copy_s8', args: [{ kind: 'name', name: 'input0', address: false }, { kind: 'name', name: 'qt_arena', address: false }, { kind: 'int', value: 784 }] },
    ]);
    expect(parseExpr('{ 1518500250, -7 }')).toEqual({ kind: 'list', items: [{ kind: 'int', value: 1518500250 }, { kind: 'int', value: -7 }] });
  });

  it('refuses what it cannot read with QT500', () => {
    expect(() => parseDeclarations('static const QT_ALIGN(16) int8_t l0_w[4] = { 1, 2, 3, 4 };')).toThrow(/QT500|constArray/);
    expect(() => parseCalls('qt_conv_s8(&l0_p, qt_arena - 4, output0);')).toThrow(/cannot read the emitted C/);
    expect(() => parseExpr('a b')).toThrow(/trailing text/);
  });
});

import {
  DiagnosticBag, QtError, emptyGraph, fail, numel, pruneUnused, sameShape, verify,
  type DType, type Graph, type QuantParams, type Tensor, type TensorInfo,
} from '@qtool/ir';
import { inferNode, knownOps } from '@qtool/ops';
import { oversizedShape } from '../limits.js';
import { builtinName } from './builtins.js';
import { OpContext } from './context.js';
import { FbFile, type FbTable } from './fb.js';
import { tfliteOps } from './ops.js';
import {
  TensorType, readBuffer, readModel, readOperator, readSubgraph, readTensor, tensorTypeName,
  type TfliteModel, type TfliteOperator, type TfliteTensor,
} from './schema.js';

// TFLite flatbuffer -> IR. TFLite is already channels-last, so tensors keep their layout; the only re-layout is
// the depthwise filter (ops.ts). Quantized tensors keep their integer dtype and `quant`; `dequantizeGraph`
// (@qtool/passes) makes the float graph. Only subgraph 0 (the main model) is read.

const dtypes: Partial<Record<number, DType>> = {
  [TensorType.FLOAT32]: 'float32',
  [TensorType.FLOAT64]: 'float64',
  [TensorType.INT8]: 'int8',
  [TensorType.UINT8]: 'uint8',
  [TensorType.INT16]: 'int16',
  [TensorType.UINT16]: 'uint16',
  [TensorType.INT32]: 'int32',
  [TensorType.UINT32]: 'uint32',
  [TensorType.INT64]: 'int64',
  [TensorType.BOOL]: 'bool',
};

/** Imports a TFLite flatbuffer into the IR. Throws QtError (QT12x, or QT200-QT202 from verification). */
export function importTflite(bytes: Uint8Array, file: string): Graph {
  try {
    return read(new FbFile(bytes, file));
  } catch (e) {
    if (e instanceof QtError) throw e;
    fail('QT003', `TFLite reader: ${(e as Error).message}`, { file });
  }
}

interface Declared {
  op: number;
  opName: string;
  node: string;
  info: TensorInfo;
}

function read(fb: FbFile): Graph {
  const { file } = fb;
  const model = readModel(fb);
  if (model.subgraphs.length === 0) fail('QT123', 'model has no subgraphs', { file });
  const sg = readSubgraph(model.subgraphs[0]!);
  const tensors = sg.tensors.map(readTensor);
  const operators = sg.operators.map(readOperator);
  const bag = new DiagnosticBag();

  // Indices first, so everything below can trust them.
  const checkIndex = (i: number, field: string, optional: boolean) => {
    if (optional && i === -1) return;
    if (!(i >= 0 && i < tensors.length)) fail('QT120', `tensor index ${i} out of range (${tensors.length} tensors)`, { file, field });
  };
  sg.inputs.forEach((i, k) => checkIndex(i, `subgraphs[0].inputs[${k}]`, false));
  sg.outputs.forEach((i, k) => checkIndex(i, `subgraphs[0].outputs[${k}]`, false));
  operators.forEach((op, n) => {
    op.inputs.forEach((i, k) => checkIndex(i, `subgraphs[0].operators[${n}].inputs[${k}]`, true));
    op.outputs.forEach((i, k) => checkIndex(i, `subgraphs[0].operators[${n}].outputs[${k}]`, false));
    if (op.opcodeIndex >= model.operatorCodes.length)
      fail('QT120', `opcode_index ${op.opcodeIndex} out of range (${model.operatorCodes.length} operator codes)`, { file, field: `subgraphs[0].operators[${n}].opcode_index` });
  });

  const names = uniqueNames(tensors);

  // Every unsupported operator, in one report.
  const opNames = operators.map((op) => operatorName(model, op));
  operators.forEach((op, n) => {
    const name = opNames[n]!;
    if (!tfliteOps[name]) {
      const out = op.outputs[0] !== undefined ? names[op.outputs[0]] : undefined;
      bag.add('QT121', `${name} (operator ${n}) is not supported`, { file, node: out ?? `op${n}` });
    }
  });
  bag.throwIfAny();

  const g = emptyGraph(sg.name || stem(file), { format: 'tflite', producer: model.description });
  const used = new Set<number>([...sg.inputs, ...sg.outputs]);
  for (const op of operators) for (const i of [...op.inputs, ...op.outputs]) if (i >= 0) used.add(i);
  for (const i of [...used].sort((a, b) => a - b)) importTensor(fb, model, tensors[i]!, i, names[i]!, g, bag);
  bag.throwIfAny();

  for (const i of sg.inputs) if (!g.initializers.has(names[i]!)) g.inputs.push(names[i]!);
  for (const i of sg.outputs) g.outputs.push(names[i]!);

  const uses = new Map<string, number>();
  for (const op of operators) for (const i of new Set(op.inputs)) if (i >= 0) uses.set(names[i]!, (uses.get(names[i]!) ?? 0) + 1);

  const declared = new Map<string, Declared>();
  operators.forEach((op, n) => {
    const opName = opNames[n]!;
    const mapping = tfliteOps[opName]!;
    const ctx = new OpContext(g, n, opName, op.inputs.map((i) => (i < 0 ? '' : names[i]!)), op.outputs.map((i) => names[i]!), op.options, uses);
    try {
      checkOptions(ctx, op, mapping.options);
      for (const o of ctx.outputs) declared.set(o, { op: n, opName, node: ctx.nodeName, info: { ...g.tensors.get(o)! } });
      mapping.import(ctx);
    } catch (e) {
      if (!(e instanceof QtError)) throw e;
      for (const d of e.diagnostics) bag.add(d.code, d.message, { file, ...d.where });
    }
  });
  bag.throwIfAny();
  // Shape operands (new_shape, axes, paddings, perm) became attributes: drop the constants nothing reads now.
  pruneUnused(g);

  verify(g, knownOps);
  inferShapesBounded(g, file);
  for (const [name, d] of declared) {
    const t = g.tensors.get(name)!;
    if (!sameShape(t.shape, d.info.shape) || t.dtype !== d.info.dtype)
      bag.add('QT123', `${d.opName} (operator ${d.op}): output '${name}' infers as ${t.dtype}[${t.shape}], the file declares ${d.info.dtype}[${d.info.shape}]`, { file, node: d.node });
  }
  bag.throwIfAny();
  return g;
}

/**
 * inferShapes (@qtool/ops), except that an output beyond the size limits (limits.ts) stops it: the file's declared
 * shapes are checked already, but one operator can infer a much larger output (huge paddings) and the next
 * windowed op's shape rule would then work through it.
 */
function inferShapesBounded(g: Graph, file: string): void {
  for (const node of g.nodes) {
    const outs = inferNode(g, node);
    node.outputs.forEach((name, k) => {
      if (!name) return;
      const tooLarge = oversizedShape(outs[k]!.shape);
      if (tooLarge) fail('QT123', `output '${name}' of ${node.op}: ${tooLarge}`, { file, node: node.name });
      g.tensors.set(name, { name, dtype: outs[k]!.dtype, shape: outs[k]!.shape, quant: g.tensors.get(name)?.quant });
    });
  }
}

function operatorName(model: TfliteModel, op: TfliteOperator): string {
  const code = model.operatorCodes[op.opcodeIndex]!;
  if (code.custom !== undefined || code.builtin === 32) return `CUSTOM '${code.custom ?? ''}'`;
  return builtinName(code.builtin);
}

function checkOptions(ctx: OpContext, op: TfliteOperator, expected: number | undefined): void {
  if (op.optionsType !== 0 && expected !== undefined && op.optionsType !== expected)
    ctx.fail('QT120', `builtin_options is union member ${op.optionsType}, expected ${expected}`);
  if (op.hasOptions2) ctx.fail('QT122', 'builtin_options_2 is not supported');
}

/** Tensor names made unique (TFLite does not require it); unnamed tensors are named by index. */
function uniqueNames(tensors: TfliteTensor[]): string[] {
  const seen = new Set<string>();
  return tensors.map((t, i) => {
    let n = t.name || `tensor_${i}`;
    if (seen.has(n)) n = `${n}_${i}`;
    for (let k = 1; seen.has(n); k++) n = `${t.name}_${i}_${k}`;
    seen.add(n);
    return n;
  });
}

function stem(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/\.tflite$/i, '') || 'model';
}

function importTensor(fb: FbFile, model: TfliteModel, t: TfliteTensor, index: number, name: string, g: Graph, bag: DiagnosticBag): void {
  const { file } = fb;
  const field = `subgraphs[0].tensors[${index}]`;
  const problem = (code: 'QT120' | 'QT122' | 'QT124', message: string) => bag.add(code, `tensor '${name}': ${message}`, { file, field });

  if (t.hasSparsity) return problem('QT122', 'sparse tensors are not supported');
  if (t.externalBuffer !== 0) return problem('QT122', 'external buffers (data outside the model file) are not supported');
  if (t.isVariable) return problem('QT122', 'variable (stateful) tensors are not supported');

  const shape: number[] = [];
  for (const [k, d] of t.shape.entries()) {
    if (d >= 0) shape.push(d);
    else if (k === 0) shape.push(1); // unknown batch imports as 1 (docs/ir.md)
    else return problem('QT122', `dimension ${k} is unknown (${d}); only the batch dimension may be`);
  }
  const tooLarge = oversizedShape(shape);
  if (tooLarge) return problem('QT122', tooLarge);

  const data = constantBytes(fb, model, t, field);
  const float16 = t.type === TensorType.FLOAT16 && data !== undefined;
  const dtype = float16 ? 'float32' : dtypes[t.type];
  if (!dtype) return problem('QT124', `element type ${tensorTypeName(t.type)} is not supported`);

  const quant = quantParams(t, shape, problem);
  const info: TensorInfo = { name, dtype, shape, quant };
  g.tensors.set(name, info);
  if (data === undefined) return;

  const elem = float16 ? 2 : dtypeBytes(dtype);
  const n = numel(shape);
  if (data.length !== n * elem)
    return problem('QT120', `buffer ${t.buffer} holds ${data.length} bytes, ${tensorTypeName(t.type)}[${shape}] needs ${n * elem}`);
  g.initializers.set(name, float16 ? widenFloat16(data, shape) : decode(dtype, shape, data));
}

/** A constant tensor's bytes, or undefined for a tensor without data (activations, graph inputs). */
function constantBytes(fb: FbFile, model: TfliteModel, t: TfliteTensor, field: string): Uint8Array | undefined {
  if (t.buffer === 0) return undefined;
  if (t.buffer >= model.buffers.length)
    fail('QT120', `buffer index ${t.buffer} out of range (${model.buffers.length} buffers)`, { file: fb.file, field: `${field}.buffer` });
  const b = readBuffer(model.buffers[t.buffer] as FbTable);
  if (b.offset > 1) {
    // Large-model form: the data follows the flatbuffer in the same file, at an offset from its start.
    fb.need(b.offset, b.size, `buffers[${t.buffer}]`, 'buffer data');
    return fb.bytes.subarray(b.offset, b.offset + b.size);
  }
  return b.data && b.data.length > 0 ? b.data : undefined;
}

function quantParams(t: TfliteTensor, shape: number[], problem: (code: 'QT120' | 'QT122', m: string) => void): QuantParams | undefined {
  const q = t.quantization;
  if (!q) return undefined;
  if (q.detailsType !== 0) {
    problem('QT122', 'custom, blockwise or multi-axis quantization is not supported');
    return undefined;
  }
  const scale = q.scale ?? [];
  if (scale.length === 0) return undefined;
  const zeroPoint = q.zeroPoint && q.zeroPoint.length > 0 ? q.zeroPoint : scale.map(() => 0);
  if (zeroPoint.length !== scale.length) {
    problem('QT120', `${scale.length} scales but ${zeroPoint.length} zero points`);
    return undefined;
  }
  if (scale.length === 1) return { scale: [...scale], zeroPoint: [...zeroPoint] };
  let axis = q.quantizedDimension;
  // Converters copy the filter's quantized_dimension onto per-channel biases ([Cout], e.g. dimension 3 in
  // person_detect.tflite); TFLite's kernels ignore it there, so a rank-1 tensor is quantized along axis 0.
  if (shape.length === 1 && shape[0] === scale.length) axis = 0;
  if (!(axis >= 0 && axis < shape.length) || shape[axis] !== scale.length) {
    problem('QT120', `${scale.length} scales on quantized_dimension ${axis} of shape [${shape}]`);
    return undefined;
  }
  return { scale: [...scale], zeroPoint: [...zeroPoint], axis };
}

function dtypeBytes(dtype: DType): number {
  return { float32: 4, float64: 8, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, bool: 1 }[dtype];
}

/** Copies little-endian element data out of the file into an aligned typed array. */
function decode(dtype: DType, shape: number[], bytes: Uint8Array): Tensor {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const dv = new DataView(copy.buffer);
  const n = numel(shape);
  let data: Tensor['data'];
  switch (dtype) {
    case 'int8': data = new Int8Array(copy.buffer); break;
    case 'uint8': case 'bool': data = copy; break;
    case 'int16': data = Int16Array.from({ length: n }, (_, i) => dv.getInt16(2 * i, true)); break;
    case 'uint16': data = Uint16Array.from({ length: n }, (_, i) => dv.getUint16(2 * i, true)); break;
    case 'int32': data = Int32Array.from({ length: n }, (_, i) => dv.getInt32(4 * i, true)); break;
    case 'uint32': data = Uint32Array.from({ length: n }, (_, i) => dv.getUint32(4 * i, true)); break;
    case 'float32': data = Float32Array.from({ length: n }, (_, i) => dv.getFloat32(4 * i, true)); break;
    case 'float64': data = Float64Array.from({ length: n }, (_, i) => dv.getFloat64(8 * i, true)); break;
    case 'int64': data = BigInt64Array.from({ length: n }, (_, i) => dv.getBigInt64(8 * i, true)); break;
  }
  return { dtype, shape: [...shape], data };
}

/** IEEE half -> float32 (float16 weights of a float16-quantized model are widened on import). */
function widenFloat16(bytes: Uint8Array, shape: number[]): Tensor {
  const n = numel(shape);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const h = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    out[i] = exp === 0 ? sign * frac * 2 ** -24 : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return { dtype: 'float32', shape: [...shape], data: out };
}

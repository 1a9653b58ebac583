import { ModelProtoSchema, type GraphProto, type ModelProto, type ValueInfoProto } from 'onnx-buf';
import { DiagnosticBag, emptyGraph, fail, QtError, verify, type Graph, type Tensor } from '@qtool/ir';
import { inferShapes, knownOps } from '@qtool/ops';
import { oversizedShape } from '../limits.js';
import { ImportContext, wrapNode, type OnnxNode } from './context.js';
import { onnxOps } from './ops.js';
import { planQdqPairs } from './ops-quant.js';
import { decodeMessage, dtypeFromOnnx, tensorFromProto } from './proto.js';

// The ONNX reader: ModelProto bytes -> IR graph (docs/ir.md). Steps: decode, check opset and op coverage (every
// unsupported op in one report), load initializers, declare inputs, map each node through the `onnxOps` table,
// bring outputs back to ONNX layout, then shape inference and verification.

/** Oldest and newest default-domain opset the reader accepts. */
export const MIN_OPSET = 6;
export const MAX_OPSET = 28;

export interface OnnxImportOptions {
  /**
   * Graph inputs to freeze: each named input becomes a constant with this value and is no longer a model input
   * (e.g. a Reshape shape or Clip bound that the model file leaves as an input).
   */
  constants?: ReadonlyMap<string, Tensor>;
}

/** Imports an ONNX ModelProto into the IR. Throws QtError (QT1xx, or QT2xx from verification) on any problem. */
export function importOnnx(bytes: Uint8Array, file: string, options: OnnxImportOptions = {}): Graph {
  try {
    return importModel(bytes, file, options);
  } catch (e) {
    if (e instanceof QtError) throw e;
    fail('QT003', `ONNX import failed unexpectedly: ${(e as Error).message}`, { file });
  }
}

/** The op types a model uses (domain-qualified outside ai.onnx), in first-use order: what `qtool inspect` and tests ask. */
export function onnxModelOpTypes(bytes: Uint8Array, file: string): string[] {
  const model = decodeMessage<ModelProto>(ModelProtoSchema, bytes, file);
  const ops = (model.graph?.node ?? []).map((n) => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType));
  return [...new Set(ops)];
}

function importModel(bytes: Uint8Array, file: string, options: OnnxImportOptions): Graph {
  if (bytes.length === 0) fail('QT100', 'empty file', { file });
  const model = decodeMessage<ModelProto>(ModelProtoSchema, bytes, file);
  const graph = model.graph;
  if (!graph) fail('QT100', 'the model has no graph', { file, field: 'graph' });
  const opset = defaultOpset(model, file);
  checkCoverage(graph, file);

  const producer = [model.producerName, model.producerVersion].filter(Boolean).join(' ') || undefined;
  const g = emptyGraph(graph.name || 'model', { format: 'onnx', opset, producer });
  const ctx = new ImportContext(g, file);
  for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) ctx.onnxNames.add(v.name);
  for (const t of graph.initializer) ctx.onnxNames.add(t.name);
  for (const n of graph.node) for (const o of n.output) if (o) ctx.onnxNames.add(o);

  loadInitializers(ctx, graph);
  for (const [name, t] of options.constants ?? []) {
    if (!graph.input.some((vi) => vi.name === name)) fail('QT002', `cannot freeze '${name}': the model has no such input`, { file });
    ctx.consts.set(name, t);
  }
  for (const vi of graph.input) if (!ctx.consts.has(vi.name)) declareInput(ctx, vi); // IR 3: initializers may be listed as inputs
  ctx.qdqPairs = planQdqPairs(graph);

  graph.node.forEach((p, i) => {
    const n = wrapNode(p, p.name || `${p.opType}_${i}`, opset);
    onnxOps[p.opType]!(ctx, n);
  });

  const outNode: OnnxNode = { name: 'graph outputs', opType: '', inputs: [], outputs: [], attrs: new Map(), opset };
  for (const o of graph.output) g.outputs.push(ctx.cf(o.name, outNode));
  inferShapes(g);
  verify(g, knownOps);
  return g;
}

function defaultOpset(model: ModelProto, file: string): number {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (!entry) fail('QT106', 'the model imports no default-domain (ai.onnx) opset', { file, field: 'opset_import' });
  const v = Number(entry.version);
  if (v < MIN_OPSET || v > MAX_OPSET) fail('QT106', `opset ${v} is not supported (qtool reads opsets ${MIN_OPSET} to ${MAX_OPSET})`, { file, field: 'opset_import' });
  return v;
}

/** Every node whose op the reader does not map, reported together (QT102). */
function checkCoverage(graph: GraphProto, file: string): void {
  const bag = new DiagnosticBag();
  graph.node.forEach((n, i) => {
    const name = n.name || `${n.opType}_${i}`;
    if (n.domain !== '' && n.domain !== 'ai.onnx') bag.add('QT102', `operator ${n.domain}.${n.opType} is not supported (only the default ai.onnx domain)`, { file, node: name });
    else if (!Object.hasOwn(onnxOps, n.opType)) bag.add('QT102', `operator ${n.opType} is not supported`, { file, node: name });
  });
  if (graph.sparseInitializer.length) bag.add('QT105', `sparse initializers are not supported ('${graph.sparseInitializer[0]!.values?.name ?? ''}')`, { file, field: 'graph.sparse_initializer' });
  bag.throwIfAny();
}

/** Initializers become ONNX constants; every external-data tensor is reported at once (QT101). */
function loadInitializers(ctx: ImportContext, graph: GraphProto): void {
  const bag = new DiagnosticBag();
  graph.initializer.forEach((tp, i) => {
    try {
      ctx.consts.set(tp.name, tensorFromProto(tp, { file: ctx.file, field: `graph.initializer[${i}]` }, `initializer '${tp.name}'`));
    } catch (e) {
      if (!(e instanceof QtError)) throw e;
      for (const d of e.diagnostics) bag.add(d.code, d.message, d.where);
    }
  });
  bag.throwIfAny();
}

/** A graph input: symbolic or missing dimensions import as 1 (the batch); a missing shape is QT107. */
function declareInput(ctx: ImportContext, vi: ValueInfoProto): void {
  const where = { file: ctx.file, field: `graph.input '${vi.name}'` };
  const tt = vi.type?.value.case === 'tensorType' ? vi.type.value.value : undefined;
  if (!tt) fail('QT105', `input '${vi.name}' is not a tensor`, where);
  const dtype = dtypeFromOnnx(tt.elemType, where, `input '${vi.name}'`);
  if (!tt.shape) fail('QT107', `input '${vi.name}' has no shape; re-export the model with static input shapes`, where);
  const shape = tt.shape.dim.map((d) => (d.value.case === 'dimValue' && d.value.value > 0n ? Number(d.value.value) : d.value.case === 'dimValue' ? 0 : 1));
  const tooLarge = oversizedShape(shape);
  if (tooLarge) fail('QT100', `input '${vi.name}': ${tooLarge}`, where);
  const name = ctx.freshTensor(vi.name, true);
  ctx.g.tensors.set(name, { name, dtype, shape });
  ctx.g.inputs.push(name);
  ctx.define(vi.name, name, 'cf');
}

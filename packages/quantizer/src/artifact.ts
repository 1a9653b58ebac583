import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fail, makeTensor, type DType, type Graph, type Tensor, type TensorInfo } from '@qtool/ir';
import type { QuantizeOptions } from '@qtool/ops';

// The quantized-model artifact: one versioned JSON file holding the integer graph (tensors with their
// quantization, nodes with their integer params, integer constants). Typed arrays travel as base64 of their
// little-endian bytes, tagged with their type, so a load gives back exactly the integers that were saved.

export const ARTIFACT_FILE = 'qmodel.json';
export const ARTIFACT_FORMAT = 'qtool-qmodel';
export const ARTIFACT_VERSION = 1;

export interface ArtifactMeta {
  tool: string;
  source: { file: string; sha256: string; format: string };
  options: QuantizeOptions & { calibration?: string };
}

export interface Artifact {
  meta: ArtifactMeta;
  graph: Graph;
}

const typedNames = ['Int8Array', 'Uint8Array', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array'] as const;
type TypedName = (typeof typedNames)[number];
const ctor: Record<TypedName, { new (b: ArrayBuffer): ArrayBufferView }> = {
  Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array,
};

function encodeValue(_key: string, v: unknown): unknown {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const name = v.constructor.name as TypedName;
    return { $typed: name, base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  }
  return v;
}

function decodeValue(_key: string, v: unknown): unknown {
  if (v && typeof v === 'object' && '$typed' in v) {
    const { $typed, base64 } = v as { $typed: TypedName; base64: string };
    if (!typedNames.includes($typed)) fail('QT400', `artifact holds an unknown array type '${$typed}'`);
    const bytes = Buffer.from(base64, 'base64');
    const buf = new ArrayBuffer(bytes.length);
    new Uint8Array(buf).set(bytes);
    return new ctor[$typed](buf);
  }
  return v;
}

/** The artifact as JSON text (deterministic: same graph, same text). */
export function serializeArtifact(a: Artifact): string {
  const g = a.graph;
  const doc = {
    format: ARTIFACT_FORMAT,
    version: ARTIFACT_VERSION,
    meta: a.meta,
    graph: {
      name: g.name,
      source: g.source,
      inputs: g.inputs,
      outputs: g.outputs,
      tensors: [...g.tensors.values()],
      initializers: [...g.initializers].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, data: t.data })),
      nodes: g.nodes,
    },
  };
  return JSON.stringify(doc, encodeValue, 1) + '\n';
}

export function parseArtifact(text: string, file = ARTIFACT_FILE): Artifact {
  let doc: {
    format?: string;
    version?: number;
    meta: ArtifactMeta;
    graph: { name: string; source?: Graph['source']; inputs: string[]; outputs: string[]; tensors: TensorInfo[]; initializers: { name: string; dtype: DType; shape: number[]; data: Tensor['data'] }[]; nodes: Graph['nodes'] };
  };
  try {
    doc = JSON.parse(text, decodeValue);
  } catch (e) {
    fail('QT400', `not a qtool artifact: ${(e as Error).message}`, { file });
  }
  if (doc?.format !== ARTIFACT_FORMAT) fail('QT400', `not a qtool artifact (format '${doc?.format}')`, { file });
  if (doc.version !== ARTIFACT_VERSION) fail('QT400', `artifact version ${doc.version} is not supported (this qtool reads version ${ARTIFACT_VERSION})`, { file });
  const gd = doc.graph;
  const graph: Graph = {
    name: gd.name,
    source: gd.source,
    inputs: gd.inputs,
    outputs: gd.outputs,
    tensors: new Map(gd.tensors.map((t) => [t.name, t])),
    initializers: new Map(gd.initializers.map((t) => [t.name, makeTensor(t.dtype, t.shape, t.data)])),
    nodes: gd.nodes,
  };
  return { meta: doc.meta, graph };
}

/** Writes <dir>/qmodel.json through a temporary file, so a failure never leaves half an artifact. */
export function saveArtifact(dir: string, a: Artifact): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, ARTIFACT_FILE);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, serializeArtifact(a));
  renameSync(tmp, path);
  return path;
}

export function isArtifactDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, ARTIFACT_FILE));
}

export function loadArtifact(dir: string): Artifact {
  const path = join(dir, ARTIFACT_FILE);
  if (!existsSync(path)) fail('QT001', `no ${ARTIFACT_FILE} here: compile a model into this folder first`, { file: dir });
  return parseArtifact(readFileSync(path, 'utf8'), path);
}

import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTensor, numel, type Graph, type Tensor } from '@qtool/ir';
import { loadModel } from '@qtool/frontend';
import { runPasses } from '@qtool/passes';
import { calibrate, loadSamples, quantizeGraph, serializeArtifact } from '@qtool/quantizer';
import { BodyFormat, buildImage, inputBytes, outputBytes, rng } from '../src/index.js';

// The bundled digits CNN, quantized two ways (8-bit and 4-bit weights): two different models to deploy.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const model = resolve(root, 'examples/digits/digits_cnn.onnx');
const calib = resolve(root, 'examples/digits/calib.npy');

export interface Fixture {
  graph: Graph;
  hash: string;
  image: Uint8Array;
}

let cache: Fixture[] | undefined;

export function fixtures(): Fixture[] {
  if (cache) return cache;
  const float = runPasses(loadModel(model));
  const input = float.tensors.get(float.inputs[0]!)!;
  const samples = loadSamples(calib, input, { scale: 1, mean: [0] }, 16).map((t) => new Map([[input.name, t]]));
  const ranges = calibrate(float, samples);
  cache = [8, 4].map((bits) => {
    const graph = quantizeGraph(float, ranges, { bits });
    const text = serializeArtifact({ meta: { tool: 'test', source: { file: 'digits_cnn.onnx', sha256: '', format: 'onnx' }, options: { bits } as never }, graph });
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    const image = buildImage({ bodyFormat: BodyFormat.QMODEL_JSON, modelHash: hash, inputBytes: inputBytes(graph), outputBytes: outputBytes(graph), layers: graph.nodes.length }, new TextEncoder().encode(text));
    return { graph, hash, image };
  });
  return cache;
}

/** Seeded random int8 inputs, one tensor per model input. */
export function randomInputs(g: Graph, seed: number): Tensor[] {
  const r = rng(seed);
  return g.inputs.map((v) => {
    const t = g.tensors.get(v)!;
    return makeTensor(t.dtype, t.shape, Int8Array.from({ length: numel(t.shape) }, () => Math.floor(r() * 256) - 128));
  });
}

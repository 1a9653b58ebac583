// The TFLite reference interpreter (@tensorflow/tfjs-tflite's WebAssembly build) as a one-shot child process:
// after a model fails to load, the wasm instance is unusable, so each model gets its own process.
// stdin: JSON { model: path, runs: [[base64 bytes of each input, in the model's input dtype]] }
// stdout: JSON { inputs: [{name, dataType, shape}], outputs: [...], results: [[base64 per output]] } or { error }
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');
const factory = require(path.join(wasmDir, 'tflite_web_api_cc.js'));

function list(v) {
  const out = [];
  for (let i = 0; i < v.size(); i++) out.push(v.get(i));
  return out;
}

async function main() {
  const req = JSON.parse(fs.readFileSync(0, 'utf8'));
  const module = await factory({ wasmBinary: fs.readFileSync(path.join(wasmDir, 'tflite_web_api_cc.wasm')), printErr: () => {} });
  const bytes = fs.readFileSync(req.model);
  const ptr = module._malloc(bytes.length);
  module.HEAPU8.set(bytes, ptr);
  const created = module.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, bytes.length, {
    numThreads: 1,
    enableProfiling: false,
    maxProfilingBufferEntries: 1024,
  });
  if (!created.ok()) return { error: created.errorMessage() };
  const runner = created.value();
  const describe = (t) => ({ name: t.name, dataType: t.dataType, shape: t.shape.split(',').map(Number) });
  const inputs = list(runner.GetInputs());
  const outputs = list(runner.GetOutputs());
  const results = [];
  for (const run of req.runs) {
    run.forEach((b64, k) => {
      const src = Buffer.from(b64, 'base64');
      const dst = inputs[k].data();
      new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(src.subarray(0, dst.byteLength));
    });
    if (!runner.Infer()) return { error: 'Infer() failed' };
    results.push(list(runner.GetOutputs()).map((t) => {
      const d = t.data();
      return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
    }));
  }
  return { inputs: inputs.map(describe), outputs: outputs.map(describe), results };
}

main().then(
  (r) => process.stdout.write(JSON.stringify(r)),
  (e) => process.stdout.write(JSON.stringify({ error: String(e && e.stack ? e.stack : e) })),
);

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fail, makeTensor, numel, type Tensor, type TensorInfo } from '@qtool/ir';
import { loadTensorProto, parseNpy } from '@qtool/frontend';
import { decodeBmp, decodePng, isBmp, isPng, type Image } from './images.js';

// Calibration samples from files. Accepted: a .npy batch ([N, ...input shape without batch] or one sample),
// an ONNX TensorProto .pb, or a folder of .npy / .pb / .png / .bmp files (sorted by name).
// Images: x = pixel * scale - mean (per channel when mean has one value per channel), laid out as the model
// input wants (NCHW when the model's axis 1 is the channel count 1 or 3 and the last axis is not, else NHWC);
// a gray image feeding a 3-channel input is replicated, an RGB one feeding 1 channel is averaged.
// Images must already have the model's height and width (no resizing: preprocessing belongs to the user).

export interface Preprocess {
  scale: number;
  mean: number[];
}

export const defaultPreprocess: Preprocess = { scale: 1 / 255, mean: [0] };

/** Samples (each one model input of batch 1) from a path, at most `limit` of them. */
export function loadSamples(path: string, input: TensorInfo, pre: Preprocess = defaultPreprocess, limit = Infinity): Tensor[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    fail('QT001', 'calibration path does not exist', { file: path });
  }
  const out: Tensor[] = [];
  const files = st.isDirectory()
    ? readdirSync(path)
        .filter((f) => ['.npy', '.pb', '.png', '.bmp'].includes(extname(f).toLowerCase()))
        .sort()
        .map((f) => join(path, f))
    : [path];
  if (files.length === 0) fail('QT401', 'no .npy, .pb, .png or .bmp files in the calibration folder', { file: path });
  for (const f of files) {
    if (out.length >= limit) break;
    for (const s of samplesOfFile(f, input, pre)) {
      if (out.length >= limit) break;
      out.push(s);
    }
  }
  return out;
}

function samplesOfFile(file: string, input: TensorInfo, pre: Preprocess): Tensor[] {
  const ext = extname(file).toLowerCase();
  const bytes = new Uint8Array(readFileSync(file));
  if (ext === '.npy') return splitSamples(parseNpy(bytes, file), input, file);
  if (ext === '.pb') return splitSamples(loadTensorProto(file), input, file);
  if (isPng(bytes)) return [imageTensor(decodePng(bytes, file), input, pre, file)];
  if (isBmp(bytes)) return [imageTensor(decodeBmp(bytes, file), input, pre, file)];
  fail('QT401', 'not a PNG or BMP image', { file, offset: 0 });
}

/** One sample of the input's shape, or a leading batch of them; any numeric dtype becomes float32. */
export function splitSamples(t: Tensor, input: TensorInfo, file: string): Tensor[] {
  const want = input.shape;
  const per = numel(want);
  const rest = want.slice(1);
  const fits =
    (t.shape.length === want.length && t.shape.every((d, i) => d === want[i])) ||
    (t.shape.length === want.length && want[0] === 1 && t.shape.slice(1).every((d, i) => d === rest[i])) ||
    (t.shape.length === want.length - 1 && want[0] === 1 && t.shape.every((d, i) => d === rest[i]));
  if (!fits) fail('QT401', `tensor [${t.shape}] does not fit model input '${input.name}' [${want}] (a leading batch dimension is allowed)`, { file });
  const n = t.data.length / per;
  const samples: Tensor[] = [];
  for (let s = 0; s < n; s++) {
    const d = new Float32Array(per);
    for (let i = 0; i < per; i++) d[i] = Number(t.data[s * per + i]);
    samples.push(makeTensor('float32', want, d));
  }
  return samples;
}

function imageTensor(img: Image, input: TensorInfo, pre: Preprocess, file: string): Tensor {
  const s = input.shape;
  if (s.length !== 4) fail('QT401', `an image cannot feed input '${input.name}' of shape [${s}] (4-D image input expected)`, { file });
  const chw = (s[1] === 1 || s[1] === 3) && s[3] !== s[1];
  const [c, h, w] = chw ? [s[1]!, s[2]!, s[3]!] : [s[3]!, s[1]!, s[2]!];
  if (img.height !== h || img.width !== w) fail('QT401', `image is ${img.width}x${img.height}, the model wants ${w}x${h}`, { file });
  const out = new Float32Array(c * h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++) {
        const p = (y * w + x) * img.channels;
        let v: number;
        if (img.channels === c) v = img.data[p + k]!;
        else if (img.channels === 1) v = img.data[p]!;
        else v = (img.data[p]! + img.data[p + 1]! + img.data[p + 2]!) / 3;
        const mean = pre.mean.length === c ? pre.mean[k]! : pre.mean[0]!;
        out[chw ? (k * h + y) * w + x : (y * w + x) * c + k] = v * pre.scale - mean;
      }
  return makeTensor('float32', s, out);
}

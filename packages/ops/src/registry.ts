// The op registry: IR op name -> definition. 'npx nx g @qtool/tools:op <name>' inserts new entries here.
import type { OpDef } from './op.js';
import { conv } from './ops/conv.js';
import { fullyConnected } from './ops/fully_connected.js';
import { matmul } from './ops/matmul.js';
import { add } from './ops/add.js';
import { sub } from './ops/sub.js';
import { mul } from './ops/mul.js';
import { div } from './ops/div.js';
import { relu } from './ops/relu.js';
import { clip } from './ops/clip.js';
import { leakyRelu } from './ops/leaky_relu.js';
import { prelu } from './ops/prelu.js';
import { sigmoid } from './ops/sigmoid.js';
import { tanh } from './ops/tanh.js';
import { hardSigmoid } from './ops/hard_sigmoid.js';
import { hardSwish } from './ops/hard_swish.js';
import { maxPool } from './ops/max_pool.js';
import { avgPool } from './ops/avg_pool.js';
import { mean } from './ops/mean.js';
import { softmax } from './ops/softmax.js';
import { reshape } from './ops/reshape.js';
import { transpose } from './ops/transpose.js';
import { concat } from './ops/concat.js';
import { pad } from './ops/pad.js';
import { batchNorm } from './ops/batch_norm.js';
import { quantize } from './ops/quantize.js';
import { dequantize } from './ops/dequantize.js';
import { macChain } from './ops/mac_chain.js';

export const registry: Record<string, OpDef> = {
  conv: conv,
  fully_connected: fullyConnected,
  matmul: matmul,
  add: add,
  sub: sub,
  mul: mul,
  div: div,
  relu: relu,
  clip: clip,
  leaky_relu: leakyRelu,
  prelu: prelu,
  sigmoid: sigmoid,
  tanh: tanh,
  hard_sigmoid: hardSigmoid,
  hard_swish: hardSwish,
  max_pool: maxPool,
  avg_pool: avgPool,
  mean: mean,
  softmax: softmax,
  reshape: reshape,
  transpose: transpose,
  concat: concat,
  pad: pad,
  batch_norm: batchNorm,
  quantize: quantize,
  dequantize: dequantize,
  mac_chain: macChain,
};

import type { KernelEmitter } from '../kernel.js';
import { addEmitter, mulEmitter, subEmitter } from './binary.js';
import { lutEmitters } from './lut.js';
import { meanEmitter } from './mean.js';
import { concatEmitter, padEmitter, quantizeEmitter, reshapeEmitter, transposeEmitter } from './move.js';
import { avgPoolEmitter, maxPoolEmitter } from './pool.js';
import { softmaxEmitter } from './softmax.js';

// The emitters of every non-MAC op (runtime/qt_{elementwise,pool,softmax,move}.c), for the registry in
// kernels/index.ts.
export const otherEmitters: KernelEmitter[] = [
  addEmitter,
  subEmitter,
  mulEmitter,
  ...lutEmitters,
  maxPoolEmitter,
  avgPoolEmitter,
  meanEmitter,
  softmaxEmitter,
  reshapeEmitter,
  transposeEmitter,
  concatEmitter,
  padEmitter,
  quantizeEmitter,
];

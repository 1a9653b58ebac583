// The emitters of the multiply-accumulate ops (runtime/qt_mac.c), for the registry in kernels/index.ts.
export { convEmitter } from './conv.js';
export { fullyConnectedEmitter } from './fully_connected.js';
export { matmulEmitter, matmulBatch } from './matmul.js';
export { packBits } from './mac_common.js';
import { convEmitter } from './conv.js';
import { fullyConnectedEmitter } from './fully_connected.js';
import { matmulEmitter } from './matmul.js';

export const macEmitters = [convEmitter, fullyConnectedEmitter, matmulEmitter];

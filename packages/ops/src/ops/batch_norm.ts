import { fail } from '@qtool/ir';
import { defineOp } from '../op.js';

// TODO(stub): shape rule and float reference, see docs/ir.md.
export const batchNorm = defineOp({
  name: 'batch_norm',
  summary: 'not implemented yet',
  inputs: ['X'],
  inferShape(node) {
    fail('QT202', 'batch_norm is not implemented yet', { node: node.name });
  },
  evalFloat(node) {
    fail('QT202', 'batch_norm is not implemented yet', { node: node.name });
  },
});

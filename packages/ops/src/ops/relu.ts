import { fail } from '@qtool/ir';
import { defineOp } from '../op.js';

// TODO(stub): shape rule and float reference, see docs/ir.md.
export const relu = defineOp({
  name: 'relu',
  summary: 'not implemented yet',
  inputs: ['X'],
  inferShape(node) {
    fail('QT202', 'relu is not implemented yet', { node: node.name });
  },
  evalFloat(node) {
    fail('QT202', 'relu is not implemented yet', { node: node.name });
  },
});

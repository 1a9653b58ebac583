import { fail } from '@qtool/ir';
import { defineOp } from '../op.js';

// TODO(stub): shape rule and float reference, see docs/ir.md.
export const sub = defineOp({
  name: 'sub',
  summary: 'not implemented yet',
  inputs: ['X'],
  inferShape(node) {
    fail('QT202', 'sub is not implemented yet', { node: node.name });
  },
  evalFloat(node) {
    fail('QT202', 'sub is not implemented yet', { node: node.name });
  },
});

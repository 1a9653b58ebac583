import { fail } from '@qtool/ir';
import type { KernelEmitter } from '../kernel.js';
import { macEmitters } from './mac.js';
import { otherEmitters } from './others.js';
import { macChainEmitter } from './mac_chain.js';

// The C side of each IR op, keyed by op name: one emitter per op, grouped by kernel family.
const emitters = new Map<string, KernelEmitter>();

export function registerEmitters(list: KernelEmitter[]): void {
  for (const e of list) emitters.set(e.op, e);
}

registerEmitters(macEmitters);
registerEmitters(otherEmitters);
registerEmitters([macChainEmitter]);

export function emitterOf(op: string): KernelEmitter {
  const e = emitters.get(op);
  if (!e) fail('QT500', `no C kernel for op '${op}'`);
  return e;
}

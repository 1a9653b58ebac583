import { DiagnosticBag } from './diagnostics.js';
import type { Graph } from './graph.js';
import { numel } from './tensor.js';

/**
 * Structural checks: every read value is defined before use, each value has one producer, every value has a
 * TensorInfo, initializers match their declared shapes, outputs exist. Throws QT200 with every problem found.
 * `knownOps`, when given, also reports nodes whose op is not registered (QT202).
 */
export function verify(g: Graph, knownOps?: ReadonlySet<string>): void {
  const bag = new DiagnosticBag();
  const defined = new Set<string>();
  for (const i of g.inputs) {
    if (!g.tensors.has(i)) bag.add('QT200', `graph input '${i}' has no tensor info`);
    if (g.initializers.has(i)) bag.add('QT200', `graph input '${i}' is also an initializer`);
    defined.add(i);
  }
  for (const [name, t] of g.initializers) {
    const ti = g.tensors.get(name);
    if (!ti) bag.add('QT200', `initializer '${name}' has no tensor info`);
    else if (ti.shape.length !== t.shape.length || ti.shape.some((d, k) => d !== t.shape[k]))
      bag.add('QT200', `initializer '${name}' is [${t.shape}] but declared [${ti.shape}]`);
    if (t.data.length !== numel(t.shape)) bag.add('QT200', `initializer '${name}' holds ${t.data.length} values for shape [${t.shape}]`);
    defined.add(name);
  }
  const names = new Set<string>();
  for (const n of g.nodes) {
    if (names.has(n.name)) bag.add('QT200', 'duplicate node name', { node: n.name });
    names.add(n.name);
    if (knownOps && !knownOps.has(n.op)) bag.add('QT202', `op '${n.op}' is not registered`, { node: n.name });
    for (const i of n.inputs) if (i && !defined.has(i)) bag.add('QT200', `reads '${i}' before it is defined`, { node: n.name });
    for (const o of n.outputs) {
      if (!o) continue;
      if (defined.has(o)) bag.add('QT200', `redefines '${o}'`, { node: n.name });
      if (!g.tensors.has(o)) bag.add('QT200', `output '${o}' has no tensor info`, { node: n.name });
      defined.add(o);
    }
  }
  for (const o of g.outputs) if (!defined.has(o)) bag.add('QT200', `graph output '${o}' is never produced`);
  for (const t of g.tensors.values())
    if (t.shape.some((d) => !Number.isInteger(d) || d < 0)) bag.add('QT200', `tensor '${t.name}' has invalid shape [${t.shape}]`);
  bag.throwIfAny();
}

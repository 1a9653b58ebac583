import { type Graph } from '@qtool/ir';
import { loadModel } from '@qtool/frontend';
import { runPasses } from '@qtool/passes';

/** A model file as the later stages see it: imported, then cleaned up by the standard passes. */
export function loadPrepared(path: string): { raw: Graph; graph: Graph } {
  const raw = loadModel(path);
  return { raw, graph: runPasses(raw) };
}

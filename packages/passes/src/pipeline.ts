import { QtError, verify, type Graph } from '@qtool/ir';
import { inferShapes, knownOps } from '@qtool/ops';
import { constantFold } from './constant-fold.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { foldBiasAdd } from './fold-bias-add.js';
import { foldFlattenTranspose } from './fold-flatten-transpose.js';
import { fuseActivations } from './fuse-activations.js';
import type { Pass } from './pass.js';
import { dropIdentityReshapes } from './simplify-layout.js';

/** The float-graph clean-up every model goes through before calibration, in order. */
export const standardPasses: readonly Pass[] = [
  constantFold,
  foldBatchNorm,
  foldBiasAdd,
  fuseActivations,
  dropIdentityReshapes,
  foldFlattenTranspose,
  dropIdentityReshapes,
];

/** Runs passes in order; after each, shapes are re-inferred and the graph verified, naming the pass on failure. */
export function runPasses(g: Graph, passes: readonly Pass[] = standardPasses): Graph {
  let cur = g;
  for (const p of passes) {
    cur = p.run(cur);
    try {
      inferShapes(cur);
      verify(cur, knownOps);
    } catch (e) {
      if (e instanceof QtError)
        throw new QtError(e.diagnostics.map((d) => ({ ...d, message: `after pass ${p.name}: ${d.message}` })));
      throw e;
    }
  }
  return cur;
}

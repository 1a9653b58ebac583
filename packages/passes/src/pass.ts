import type { Graph } from '@qtool/ir';

/** A graph rewrite: a named pure function (it returns a new graph and leaves its argument alone). */
export interface Pass {
  name: string;
  run(g: Graph): Graph;
}

export function definePass(p: Pass): Pass {
  return p;
}

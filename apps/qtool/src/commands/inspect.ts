import { printGraph } from '@qtool/ir';
import { loadModel } from '@qtool/frontend';

export async function inspect(model: string, opts: { json?: boolean; ir?: boolean }): Promise<void> {
  const g = loadModel(model);
  process.stdout.write(printGraph(g));
  void opts;
}

// The factory generators.json names. nx 24 loads a .ts generator through Node's type stripping (Node >= 22.6) or
// swc/ts-node, and this workspace runs Node 20 without either; tsx (a root devDependency) loads op.ts instead.
import { tsImport } from 'tsx/esm/api';

export default async function opGenerator(tree, options) {
  const impl = await tsImport('./op.ts', import.meta.url);
  return impl.default(tree, options);
}

// `npx nx g @qtool/tools:op <name>`: scaffolds an IR operator (the op file, a test that fails until the op is
// implemented, and its registry entry). nx loads ./generator.js, which loads this file (see there why).
import type { Tree } from 'nx/src/devkit-exports';
import { addOpToRegistry, checkOpName, OPS_DIR, OPS_TEST_DIR, opSource, opTestSource, REGISTRY_PATH } from '../../add-op.js';

export interface OpGeneratorOptions {
  name: string;
}

export default async function opGenerator(tree: Tree, options: OpGeneratorOptions): Promise<void> {
  const { name } = options;
  checkOpName(name);
  const opPath = `${OPS_DIR}/${name}.ts`;
  const testPath = `${OPS_TEST_DIR}/${name}.test.ts`;
  for (const path of [opPath, testPath]) {
    if (tree.exists(path)) throw new Error(`op '${name}' already exists: ${path}`);
  }
  const registry = tree.read(REGISTRY_PATH, 'utf-8');
  if (registry === null) throw new Error(`${REGISTRY_PATH} not found: run the generator from the qtool workspace`);
  // The registry edit goes first: it refuses an op that is registered but has no file.
  tree.write(REGISTRY_PATH, await addOpToRegistry(registry, name));
  tree.write(opPath, opSource(name));
  tree.write(testPath, opTestSource(name));
}

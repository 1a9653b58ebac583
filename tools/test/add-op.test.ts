import { describe, expect, it } from 'vitest';
import { addOpToRegistry, camelName, checkOpName, opSource, opTestSource } from '../src/add-op.js';

const before = `// The op registry.
import type { OpDef } from './op.js';
import { add } from './ops/add.js';
import { leakyRelu } from './ops/leaky_relu.js';
import { relu } from './ops/relu.js';

export const registry: Record<string, OpDef> = {
  add: add,
  leaky_relu: leakyRelu,
  relu: relu,
};
`;

describe('addOpToRegistry', () => {
  it('adds the import in sorted position and the entry at the end', async () => {
    expect(await addOpToRegistry(before, 'depthwise_conv')).toBe(`// The op registry.
import type { OpDef } from './op.js';
import { add } from './ops/add.js';
import { depthwiseConv } from './ops/depthwise_conv.js';
import { leakyRelu } from './ops/leaky_relu.js';
import { relu } from './ops/relu.js';

export const registry: Record<string, OpDef> = {
  add: add,
  leaky_relu: leakyRelu,
  relu: relu,
  depthwise_conv: depthwiseConv,
};
`);
  });

  it('puts an import that sorts last after the last op import, and one that sorts first before the first', async () => {
    const last = await addOpToRegistry(before, 'softmax');
    expect(last).toContain("import { relu } from './ops/relu.js';\nimport { softmax } from './ops/softmax.js';\n\nexport");
    const first = await addOpToRegistry(before, 'abs');
    expect(first).toContain("import type { OpDef } from './op.js';\nimport { abs } from './ops/abs.js';\nimport { add }");
  });

  it('fills an empty registry', async () => {
    const empty = `import type { OpDef } from './op.js';\n\nexport const registry: Record<string, OpDef> = {};\n`;
    expect(await addOpToRegistry(empty, 'relu6')).toBe(
      `import type { OpDef } from './op.js';\nimport { relu6 } from './ops/relu6.js';\n\nexport const registry: Record<string, OpDef> = {\n  relu6: relu6,\n};\n`,
    );
  });

  it('refuses an op that is already registered, imported, or whose export name is taken', async () => {
    await expect(addOpToRegistry(before, 'relu')).rejects.toThrow("op 'relu' already exists: registry.ts has the key 'relu'");
    const importedOnly = before.replace('  relu: relu,\n', '');
    await expect(addOpToRegistry(importedOnly, 'relu')).rejects.toThrow("registry.ts imports './ops/relu.js'");
    const quotedKey = before.replace('  relu: relu,\n', "  'mean': relu,\n");
    await expect(addOpToRegistry(quotedKey, 'mean')).rejects.toThrow("op 'mean' already exists");
    const clash = before.replace("import { add } from './ops/add.js';", "import { add, leakyRelu2 } from './ops/add.js';");
    await expect(addOpToRegistry(clash, 'leaky_relu2')).rejects.toThrow("already imports an identifier 'leakyRelu2'");
  });

  it('refuses a file without a registry object literal', async () => {
    await expect(addOpToRegistry('export const ops = {};\n', 'gelu')).rejects.toThrow("no 'registry' object literal");
  });
});

describe('names', () => {
  it('accepts lower_snake and camel-cases it', () => {
    expect(camelName('fully_connected')).toBe('fullyConnected');
    expect(camelName('conv2d_s8')).toBe('conv2dS8');
    expect(() => checkOpName('hard_swish')).not.toThrow();
  });

  for (const bad of ['', 'Relu', 'leakyRelu', 'leaky-relu', '_relu', 'relu_', 'a__b', '2d_conv', 'max pool', 'new', 'delete']) {
    it(`refuses ${JSON.stringify(bad)}`, async () => {
      expect(() => checkOpName(bad)).toThrow(/not lower_snake|reserved word/);
      await expect(addOpToRegistry(before, bad)).rejects.toThrow(/not lower_snake|reserved word/);
    });
  }
});

describe('templates', () => {
  it('writes a stub op like the existing ones', () => {
    const src = opSource('depthwise_conv');
    expect(src).toContain("export const depthwiseConv = defineOp({\n  name: 'depthwise_conv',");
    expect(src).toContain("fail('QT202', 'depthwise_conv is not implemented yet', { node: node.name });");
  });

  it('writes a test that fails until the op has a shape rule', () => {
    const src = opTestSource('depthwise_conv');
    expect(src).toContain("import { depthwiseConv } from '../src/ops/depthwise_conv.js';");
    expect(src).toContain("expect(registry['depthwise_conv']).toBe(depthwiseConv);");
    expect(src).toContain('.not.toThrow(/not implemented/)');
  });
});

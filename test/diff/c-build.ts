import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runtimeDir } from '@qtool/codegen';
import { numel, type Graph, type Tensor } from '@qtool/ir';
import { runInt } from '@qtool/sim';

// Builds generated models for the host quickly: the runtime is compiled once into a static library; each model
// compiles only its own source and host_main.c against it. Flags are the product's strict ones.

export const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2'];

export class HostBuilder {
  readonly dir = mkdtempSync(join(tmpdir(), 'qtool-diff-'));
  private readonly lib: string;

  constructor() {
    const objs: string[] = [];
    for (const c of readdirSync(runtimeDir).filter((f) => f.endsWith('.c'))) {
      const o = join(this.dir, c.replace(/\.c$/, '.o'));
      execFileSync('cc', [...STRICT, `-I${runtimeDir}`, '-c', join(runtimeDir, c), '-o', o], { stdio: 'pipe' });
      objs.push(o);
    }
    this.lib = join(this.dir, 'libqt.a');
    execFileSync('ar', ['rcs', this.lib, ...objs]);
  }

  /** Writes the model's own files and links host_main; returns the executable. */
  build(id: string, files: Map<string, string>, name: string): string {
    const d = join(this.dir, id);
    mkdirSync(d, { recursive: true });
    for (const f of [`${name}.c`, `${name}.h`, 'host_main.c']) writeFileSync(join(d, f), files.get(f)!);
    const exe = join(d, 'host_main');
    execFileSync('cc', [...STRICT, `-I${runtimeDir}`, `-I${d}`, '-o', exe, join(d, `${name}.c`), join(d, 'host_main.c'), this.lib], { stdio: 'pipe' });
    return exe;
  }
}

export function runHost(exe: string, input: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync(exe, [], { input, maxBuffer: 1 << 28 }));
}

/**
 * Runs a host build on int8 samples (all of a sample's inputs back to back on stdin, as host_main reads them) and
 * compares every output byte with the integer simulator: the differential check the random-model suites share.
 * Returns one line per differing output (naming the model, sample, output and first element) and the count of
 * outputs compared.
 */
export function compareHostWithSim(description: string, q: Graph, exe: string, samples: Tensor[][]): { mismatches: string[]; compared: number } {
  const stdin = new Uint8Array(samples.flatMap((ins) => ins.flatMap((x) => Array.from(new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength)))));
  const got = runHost(exe, stdin);
  const outBytes = q.outputs.reduce((s, o) => s + numel(q.tensors.get(o)!.shape), 0);
  expect(got.length).toBe(outBytes * samples.length);
  const mismatches: string[] = [];
  let compared = 0;
  samples.forEach((ins, s) => {
    const sim = runInt(q, new Map(q.inputs.map((n, k) => [n, ins[k]!])));
    let off = s * outBytes;
    for (const o of q.outputs) {
      const want = sim.get(o)!.data as Int8Array;
      const have = new Int8Array(got.buffer, got.byteOffset + off, want.length);
      const bad = want.findIndex((v, i) => v !== have[i]);
      if (bad >= 0) mismatches.push(`${description}: input ${s}, output '${o}' element ${bad}: C ${have[bad]} vs sim ${want[bad]}`);
      off += want.length;
      compared++;
    }
  });
  return { mismatches, compared };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusRoot, requireCorpus } from '../support/corpus.js';
import { runBatch, type Batch } from './batch.js';
import { describeFailure, failures, summary } from './report.js';

// Acceptance test for bad input: at least 500 damaged files made from corpus models and .npy files (truncations,
// bit flips, zeroed and 0xff ranges, huge declared lengths and dimensions, the empty file, wrong extensions,
// garbage, format-sniff edge cases) are each loaded through loadModel / readNpy in a child process
// (run-damaged.ts). Every one must import or end in a coded QtError (not QT003): an uncoded exception, a hang
// (no output for HANG_MS, far above the 2 s budget) or a dead child (heap exhaustion) fails, naming the variant.
// Per-variant time and memory are printed, not asserted: the machines are shared and noisy.

const HANG_MS = 30_000;
// Memory outside the JS heap (ArrayBuffers) is not bounded by --max-old-space-size: a peak RSS above this means
// some variant allocated in proportion to a declared size instead of the file.
const RSS_LIMIT_MB = 2048;

const run = requireCorpus('damaged-model robustness test');

describe.skipIf(!run)('damaged model and .npy files', () => {
  it('every damaged file imports or ends in a coded error: no crash, no hang, bounded memory', { timeout: 20 * 60_000 }, async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'qtool-damaged-'));
    const batch: Batch = await runBatch(corpusRoot, outDir, HANG_MS);
    console.log(`\n${summary(batch)}\n`);

    expect(batch.plan.length).toBeGreaterThanOrEqual(600);
    expect(batch.results.map((r) => r.variant)).toEqual(batch.plan.map((v) => v.id));
    const kinds = new Set(batch.plan.map((v) => v.kind));
    for (const k of ['truncate', 'bitflip', 'multi-bitflip', 'zero-range', 'ff-range', 'huge-length', 'huge-dim', 'empty', 'wrong-extension', 'garbage', 'sniff-edge'])
      expect(kinds, `no '${k}' variants`).toContain(k);
    const formats = new Set(batch.plan.map((v) => v.name.replace(/^.*\./, '')));
    for (const ext of ['onnx', 'tflite', 'npy']) expect(formats, `no .${ext} variants`).toContain(ext);

    const overRss = batch.results.find((r) => r.maxRssMB > RSS_LIMIT_MB);
    expect(overRss && `#${overRss.variant} ${batch.plan[overRss.variant]!.desc}: peak RSS ${overRss.maxRssMB} MB`, 'memory not bounded by the file').toBeUndefined();

    const failed = failures(batch);
    expect(failed.map(describeFailure), 'variants that crashed, hung or threw an uncoded error').toEqual([]);
    rmSync(outDir, { recursive: true, force: true }); // kept on failure: the failing files are in it
  });
});

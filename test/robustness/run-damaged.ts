// Child process of damaged-models.test.ts: writes every damaged variant to a file, loads it through the real entry
// point (loadModel / readNpy) and prints one JSON line per variant. It runs apart from the test so a hang can be
// killed and a heap exhaustion (--max-old-space-size) is a dead child naming its variant, not a dead test runner.
//   node --max-old-space-size=1024 --import tsx test/robustness/run-damaged.ts <corpusRoot> <outDir> [firstVariant]
// The parent restarts it after the variant that killed it, so one crash does not hide the rest.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnosticTable, numel, QtError, verify } from '@qtool/ir';
import { loadModel, readNpy } from '@qtool/frontend';
import { knownOps } from '@qtool/ops';
import { buildVariants, type Variant } from './variants.js';

export interface PlanLine {
  type: 'plan';
  variants: { id: number; kind: string; source: string; desc: string; name: string; reader: string }[];
  baseHeapMB: number;
  baseRssMB: number;
}

export interface ResultLine {
  type: 'result';
  variant: number;
  /** imported: read and verified; coded: a QtError with a table code; failure: anything else. */
  outcome: 'imported' | 'coded' | 'failure';
  code?: string;
  /** For a failure: what went wrong (error class, message, top of the stack). */
  detail?: string;
  ms: number;
  heapUsedMB: number;
  /** Peak resident set of the process so far (covers ArrayBuffers, which the heap limit does not). */
  maxRssMB: number;
  file: string;
}

const [corpusRoot, outDir, from = '0'] = process.argv.slice(2);
if (!corpusRoot || !outDir) throw new Error('usage: run-damaged.ts <corpusRoot> <outDir>');

const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
const maxRss = () => Math.round(process.resourceUsage().maxRSS / 102.4) / 10; // maxRSS is in KiB

function emit(line: PlanLine | ResultLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Runs one variant; the outcome classes of the acceptance test. */
function run(v: Variant, path: string): Pick<ResultLine, 'outcome' | 'code' | 'detail'> {
  try {
    if (v.reader === 'npy') {
      const t = readNpy(path);
      if (t.data.length !== numel(t.shape)) return { outcome: 'failure', detail: `readNpy returned ${t.data.length} values for shape [${t.shape}]` };
    } else {
      const g = loadModel(path);
      // The readers verify before returning; a graph that fails verification now was returned unverified.
      verify(g, knownOps);
    }
    return { outcome: 'imported' };
  } catch (e) {
    if (!(e instanceof QtError)) {
      const err = e as Error;
      const stack = err?.stack?.split('\n').slice(0, 4).join(' | ') ?? String(e);
      return { outcome: 'failure', detail: `uncoded ${err?.name ?? typeof e}: ${stack}` };
    }
    const bad = e.diagnostics.find((d) => d.code === 'QT003' || !Object.hasOwn(diagnosticTable, d.code));
    if (bad) return { outcome: 'failure', code: bad.code, detail: e.message.slice(0, 600) };
    return { outcome: 'coded', code: e.code };
  }
}

const variants = buildVariants(corpusRoot);
mkdirSync(outDir, { recursive: true });
emit({
  type: 'plan',
  variants: variants.map(({ id, kind, source, desc, name, reader }) => ({ id, kind, source, desc, name, reader })),
  baseHeapMB: mb(process.memoryUsage().heapUsed),
  baseRssMB: maxRss(),
});

for (const v of variants.slice(Number(from))) {
  const path = join(outDir, `${String(v.id).padStart(4, '0')}-${v.name}`);
  const content = v.make();
  if (content === 'directory') mkdirSync(path, { recursive: true });
  else if (content !== 'missing') writeFileSync(path, content);
  const t0 = performance.now();
  const r = run(v, path);
  const ms = Math.round((performance.now() - t0) * 100) / 100;
  emit({ type: 'result', variant: v.id, ...r, ms, heapUsedMB: mb(process.memoryUsage().heapUsed), maxRssMB: maxRss(), file: path });
  // Keep only the files that failed, to reproduce them.
  if (r.outcome !== 'failure') rmSync(path, { recursive: true, force: true });
}

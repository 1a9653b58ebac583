import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { repoRoot } from '../support/corpus.js';
import type { PlanLine, ResultLine } from './run-damaged.js';

// Runs run-damaged.ts in child processes and collects its lines. A child that falls silent for `hangMs` is killed
// and the variant it was on is a hang; a child that dies (heap exhaustion under --max-old-space-size) names the
// variant it was on. Either way a new child carries on after that variant, so one bad variant hides no others.

export type Planned = PlanLine['variants'][number];

export interface Outcome extends Omit<ResultLine, 'type' | 'outcome'> {
  outcome: ResultLine['outcome'] | 'hang' | 'crash';
}

export interface Batch {
  plan: Planned[];
  results: Outcome[];
  baseHeapMB: number;
  baseRssMB: number;
  /** How many child processes it took (1 unless a variant hung or crashed one). */
  children: number;
}

export const HEAP_LIMIT_MB = 1024;

export async function runBatch(corpusRoot: string, outDir: string, hangMs: number): Promise<Batch> {
  const batch: Batch = { plan: [], results: [], baseHeapMB: 0, baseRssMB: 0, children: 0 };
  for (;;) {
    batch.children++;
    const end = await runChild(corpusRoot, outDir, batch.results.length, hangMs, batch);
    if (batch.plan.length === 0) throw new Error(`damaged-model runner failed before its plan: ${end.detail}`);
    if (batch.results.length >= batch.plan.length) break;
    if (end.kind === 'done') throw new Error(`damaged-model runner stopped after ${batch.results.length} of ${batch.plan.length} variants`);
    // The variant in progress when the child stopped.
    const id = batch.results.length;
    batch.results.push({
      variant: id, outcome: end.kind, detail: end.detail, ms: end.ms, heapUsedMB: NaN, maxRssMB: NaN,
      file: `${outDir}/${String(id).padStart(4, '0')}-${batch.plan[id]!.name}`,
    });
  }
  return batch;
}

interface ChildEnd {
  kind: 'done' | 'hang' | 'crash';
  detail: string;
  /** Time since the last line (the time spent on the variant in progress). */
  ms: number;
}

function runChild(corpusRoot: string, outDir: string, from: number, hangMs: number, batch: Batch): Promise<ChildEnd> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [`--max-old-space-size=${HEAP_LIMIT_MB}`, '--import', 'tsx', 'test/robustness/run-damaged.ts', corpusRoot, outDir, String(from)],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    let last = performance.now();
    let hung = false;
    let timer: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(timer);
      last = performance.now();
      timer = setTimeout(() => {
        hung = true;
        child.kill('SIGKILL');
      }, hangMs);
    };
    arm();
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (text) => {
      arm();
      const line = JSON.parse(text) as PlanLine | ResultLine;
      if (line.type === 'plan') {
        if (batch.plan.length === 0) Object.assign(batch, { plan: line.variants, baseHeapMB: line.baseHeapMB, baseRssMB: line.baseRssMB });
      } else {
        const { type: _t, ...r } = line;
        batch.results.push(r);
      }
    });
    // Resolve once both the process and its output have ended, so no line is lost.
    let exit: [number | null, NodeJS.Signals | null] | undefined;
    let drained = false;
    lines.on('close', () => {
      drained = true;
      if (exit) finish(...exit);
    });
    child.on('close', (code, signal) => {
      exit = [code, signal];
      if (drained) finish(code, signal);
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      const ms = Math.round(performance.now() - last);
      if (hung) return resolve({ kind: 'hang', detail: `no output for ${hangMs} ms: killed`, ms });
      if (code === 0) return resolve({ kind: 'done', detail: '', ms });
      const fatal = /^.*(FATAL ERROR|heap out of memory).*$/m.exec(stderr)?.[0];
      const tail = fatal ? `JavaScript heap exhausted (${fatal.trim()})` : stderr.split('\n').filter((l) => l.trim()).slice(-6).join(' | ');
      resolve({ kind: 'crash', detail: `child exited with ${signal ?? `code ${code}`}: ${tail}`, ms });
    };
  });
}

import { diagnosticTable, type DiagnosticCode } from '@qtool/ir';
import type { Batch, Outcome, Planned } from './batch.js';

// The summary the damaged-model test prints into the CI log: variants per kind, outcomes per code, per-variant
// time (max, p99, how many over the 2 s budget) and memory. Time is reported, never a pass/fail criterion.

export const SLOW_MS = 2000;

export interface Failure {
  variant: Planned;
  outcome: Outcome;
}

/** Variants that did not end in an import or a coded error: uncoded exceptions, QT003, hangs, dead children. */
export function failures(b: Batch): Failure[] {
  return b.results.filter((r) => r.outcome !== 'imported' && r.outcome !== 'coded').map((r) => ({ variant: b.plan[r.variant]!, outcome: r }));
}

export function describeFailure(f: Failure): string {
  const v = f.variant;
  return [
    `#${v.id} [${v.kind}] ${v.source}: ${v.desc}`,
    `    read as ${v.reader === 'npy' ? 'readNpy' : 'loadModel'}(${f.outcome.file})  (file kept; rebuild with buildVariants()[${v.id}])`,
    `    => ${f.outcome.outcome}${f.outcome.code ? ` ${f.outcome.code}` : ''}: ${f.outcome.detail ?? ''}`,
  ].join('\n');
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const width = head.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => `  ${r.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ')}`;
  return [line(head), line(width.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

export function summary(b: Batch): string {
  const out: string[] = [];
  const byKind = new Map<string, Outcome[]>();
  for (const r of b.results) {
    const k = b.plan[r.variant]!.kind;
    byKind.set(k, [...(byKind.get(k) ?? []), r]);
  }
  const count = (rs: Outcome[], o: Outcome['outcome']) => rs.filter((r) => r.outcome === o).length;
  const bad = (rs: Outcome[]) => rs.length - count(rs, 'imported') - count(rs, 'coded');
  const sources = new Set(b.plan.map((v) => v.source).filter((s) => s !== '-'));
  out.push(`damaged-model robustness: ${b.results.length} variants from ${sources.size} sources, ${b.children} child process(es)`);
  out.push('', 'variants per kind:');
  out.push(table(
    ['kind', 'variants', 'imported', 'coded error', 'FAILED'],
    [...byKind].map(([k, rs]) => [k, rs.length, count(rs, 'imported'), count(rs, 'coded'), bad(rs)]).concat([['total', b.results.length, count(b.results, 'imported'), count(b.results, 'coded'), bad(b.results)]]),
  ));

  const byCode = new Map<string, number>();
  for (const r of b.results) {
    const key = r.outcome === 'coded' ? r.code! : r.outcome === 'imported' ? 'imported' : `FAILED (${r.outcome}${r.code ? ` ${r.code}` : ''})`;
    byCode.set(key, (byCode.get(key) ?? 0) + 1);
  }
  out.push('', 'outcomes:');
  out.push(table(
    ['outcome', 'variants', 'meaning'],
    [...byCode].sort((x, y) => y[1] - x[1]).map(([k, n]) => [k, n, diagnosticTable[k as DiagnosticCode] ?? (k === 'imported' ? 'read and verified (benign damage)' : '')]),
  ));

  const timed = b.results.filter((r) => Number.isFinite(r.ms));
  const ms = timed.map((r) => r.ms).sort((x, y) => x - y);
  const slowest = timed.reduce((a, r) => (r.ms > a.ms ? r : a), timed[0]!);
  const slow = timed.filter((r) => r.ms > SLOW_MS);
  out.push('', 'time per variant (load only; shared machines are noisy, so this is reported, not asserted):');
  out.push(`  median ${percentile(ms, 50).toFixed(2)} ms, p99 ${percentile(ms, 99).toFixed(2)} ms, max ${ms.at(-1)!.toFixed(2)} ms (#${slowest.variant} ${b.plan[slowest.variant]!.kind}: ${b.plan[slowest.variant]!.desc.slice(0, 80)})`);
  const flag = slow.length ? '!!!!!!!!' : '';
  out.push(`  ${flag} ${slow.length} variant(s) took longer than ${SLOW_MS} ms ${flag}`.trimStart());
  for (const r of slow) out.push(`    #${r.variant} ${r.ms.toFixed(0)} ms: ${b.plan[r.variant]!.source}: ${b.plan[r.variant]!.desc}`);

  const heap = b.results.filter((r) => Number.isFinite(r.heapUsedMB));
  const peakHeap = Math.max(...heap.map((r) => r.heapUsedMB));
  const peakRss = Math.max(...heap.map((r) => r.maxRssMB));
  out.push('', 'memory (child process, --max-old-space-size=1024):');
  out.push(`  heapUsed: ${b.baseHeapMB} MB at start, peak ${peakHeap} MB after a variant: growth ${(peakHeap - b.baseHeapMB).toFixed(1)} MB`);
  out.push(`  peak RSS: ${peakRss} MB (${b.baseRssMB} MB at start)`);

  const f = failures(b);
  out.push('', f.length ? `${f.length} FAILURE(S):` : 'failures: none (every variant imported or ended in a coded QtError)');
  for (const x of f) out.push(describeFailure(x));
  return out.join('\n');
}

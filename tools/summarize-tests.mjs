// Reads every vitest JSON report in a folder and prints one closing line: "N passed, N failed[, N skipped]".
// A project whose run failed without writing a report counts as one failure, so a crash never reads as green.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, nxStatus = '0'] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const f of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const r = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  const p = r.numPassedTests ?? 0;
  const x = r.numFailedTests ?? 0;
  const s = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // a suite that failed to load has failed test files but no failed tests
  const brokenFiles = (r.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0).length;
  passed += p;
  failed += x + brokenFiles;
  skipped += s;
  rows.push(`${f.replace(/\.json$/, '').padEnd(12)} ${String(p).padStart(5)} passed ${String(x + brokenFiles).padStart(4)} failed ${String(s).padStart(4)} skipped`);
}
if (nxStatus !== '0' && failed === 0) {
  rows.push(`nx exited ${nxStatus} with no failed test in the reports: counted as 1 failure`);
  failed = 1;
}
console.log(rows.join('\n'));
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);

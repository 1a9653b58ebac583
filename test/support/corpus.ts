import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/support/corpus.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** ../shared/corpus beside the checkout: CI has it; a developer without it is told loudly. */
export const corpusRoot = resolve(repoRoot, '../shared/corpus');

export const corpusPresent = existsSync(corpusRoot);

/**
 * Whether corpus tests should run. Missing corpus fails the suite loudly unless QT_NO_CORPUS=1 says the
 * developer knows (then the suites are skipped with a warning that names what was not tested).
 */
export function requireCorpus(what: string): boolean {
  if (corpusPresent) return true;
  if (process.env.QT_NO_CORPUS === '1') {
    console.warn(`\n*** SKIPPED: ${what}: ${corpusRoot} is missing (QT_NO_CORPUS=1) ***\n`);
    return false;
  }
  throw new Error(`${what} needs ${corpusRoot} (the shared corpus); set QT_NO_CORPUS=1 to skip knowingly`);
}

export function corpus(...parts: string[]): string {
  return resolve(corpusRoot, ...parts);
}

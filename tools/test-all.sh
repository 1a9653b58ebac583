#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need, runs every project's suite through nx
# (no cache replay: see STACK.md), then prints a single "N passed, N failed" line from the vitest JSON reports.
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-system.sh || exit 1
if [ ! -d node_modules/.bin ] || [ ! -e node_modules/.bin/nx ]; then npm ci || exit 1; fi
export QT_RESULTS="$PWD/test-results"
rm -rf "$QT_RESULTS" && mkdir -p "$QT_RESULTS"
# vitest's 5 s default per test is a wall-clock limit in disguise: on a shared, loaded machine a test that takes
# 6 s is not broken. Ten minutes per test (and hook) stays as a hang guard only.
npx nx run-many -t test --skip-nx-cache --parallel=1 --outputStyle=stream --testTimeout=600000 --hookTimeout=600000 "$@"
nx_status=$?
node tools/summarize-tests.mjs "$QT_RESULTS" "$nx_status"

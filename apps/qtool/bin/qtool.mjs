#!/usr/bin/env node
// Runs the CLI from its TypeScript sources (no build step): tsx registers a loader for .ts files.
import { register } from 'tsx/esm/api';
register();
await import('../src/main.ts');

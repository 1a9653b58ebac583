import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { saveArtifact } from '@qtool/quantizer';
import { exampleCalib, exampleModel, quantizeModel, type QuantizeCliOptions } from '../quantize.js';
import { buildReport, formatScale } from '../report.js';
import { table } from '../table.js';

export interface CompileOptions extends QuantizeCliOptions {
  output?: string;
}

/** Writes a file through a temporary name so a failure never leaves half of it. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export async function compile(model: string | undefined, opts: CompileOptions): Promise<void> {
  const usingExample = model === undefined;
  const path = model ?? exampleModel;
  const o: CompileOptions = usingExample && !opts.calib && !opts.keepQuant ? { ...opts, calib: exampleCalib, calibScale: '1' } : opts;
  const out = resolve(opts.output ?? (usingExample ? 'out/digits_cnn' : `out/${path.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '')}`));
  const log = (s: string) => process.stderr.write(s + '\n');
  if (usingExample) log(`no model given: compiling the bundled example ${path}`);
  const { artifact, float, ranges } = quantizeModel(path, o, log);
  mkdirSync(out, { recursive: true });
  saveArtifact(out, artifact);
  const report = buildReport(artifact, float, ranges);
  writeAtomic(join(out, 'report.json'), JSON.stringify(report, null, 1) + '\n');
  const layers = report.layers as { name: string; op: string; output: { shape: number[]; scale?: number; zeroPoint?: number }; macs: number }[];
  process.stdout.write(
    `compiled ${artifact.meta.source.file} (${artifact.meta.options.mode} rounding, ${
      artifact.meta.options.mode === 'tflite' ? 'model parameters kept' : `${artifact.meta.options.bits}-bit weights per ${artifact.meta.options.granularity}, ${artifact.meta.options.anchor}-anchored`
    }) into ${out}\n\n` +
      table(
        ['#', 'layer', 'op', 'output', 'scale', 'zero point', 'MACs'],
        layers.map((l, i) => [String(i), l.name, l.op, `[${l.output.shape.join(',')}]`, formatScale(l.output.scale), String(l.output.zeroPoint ?? '-'), l.macs]),
      ),
  );
}

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { boards, cName, emitModel, isTarget, RAM_RESERVE, targets, type Target, type TargetName } from '@qtool/codegen';
import { fail } from '@qtool/ir';
import { opOf } from '@qtool/ops';
import { serializeArtifact, ARTIFACT_FILE } from '@qtool/quantizer';
import { measureCode } from '../build.js';
import { exampleCalib, exampleModel, quantizeModel, type QuantizeCliOptions } from '../quantize.js';
import { buildReport } from '../report.js';
import { formatInt, table } from '../table.js';

export interface CompileOptions extends QuantizeCliOptions {
  output?: string;
  target?: string;
  board?: string;
  ram?: string;
  flash?: string;
  chain?: string;
}

/** Writes a file through a temporary name so a failure never leaves half of it. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function bytesOption(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)\s*([kKmM]?)i?[bB]?$/.exec(v.trim());
  if (!m) fail('QT002', `${flag} takes a byte count such as 65536, 64K or 2M, got '${v}'`);
  return Number(m[1]) * (m[2]!.toLowerCase() === 'k' ? 1024 : m[2]!.toLowerCase() === 'm' ? 1024 * 1024 : 1);
}

export async function compile(model: string | undefined, opts: CompileOptions): Promise<void> {
  const usingExample = model === undefined;
  const path = model ?? exampleModel;
  const o: CompileOptions = usingExample && !opts.calib && !opts.keepQuant ? { ...opts, calib: exampleCalib, calibScale: '1' } : opts;
  const board = opts.board === undefined ? undefined : boards[opts.board];
  if (opts.board !== undefined && !board) fail('QT002', `unknown board '${opts.board}' (known: ${Object.keys(boards).join(', ')})`);
  const targetName = opts.target ?? board?.target ?? 'host';
  if (!isTarget(targetName)) fail('QT002', `unknown target '${targetName}' (known: ${Object.keys(targets).join(', ')})`);
  if (board && opts.target && board.target !== opts.target) fail('QT002', `board ${board.name} is a ${board.target}, not ${opts.target}`);
  const target = targets[targetName as TargetName];
  const ramLimit = bytesOption(opts.ram, '--ram') ?? board?.ram;
  const flashLimit = bytesOption(opts.flash, '--flash') ?? board?.flash;
  const log = (s: string) => process.stderr.write(s + '\n');
  if (usingExample) log(`no model given: compiling the bundled example ${path}`);

  const { artifact, float, ranges, chains, chainsRefused } = quantizeModel(path, o, log);
  const name = cName(artifact.meta.source.file);
  const m = artifact.meta;
  const optionText = m.options.mode === 'tflite' ? '--keep-quant' : `--bits ${m.options.bits} --granularity ${m.options.granularity} --anchor ${m.options.anchor} --rounding ${m.options.rounding}${chains.length ? ' --chain auto' : ''}`;
  const build = (t: Target) => {
    const emitted = emitModel({ graph: artifact.graph, name, target: t, tool: m.tool, sourceFile: m.source.file, sourceSha256: m.source.sha256, options: optionText });
    const code = measureCode(emitted.files, t, name);
    // measured: all the objects put in flash (code, read-only and initialised data); unmeasured: the weights alone
    const flash = code ? code.text + code.rodata + code.data : emitted.constBytes;
    const ram = emitted.arenaBytes + emitted.scratchBytes;
    const fits = (ramLimit === undefined || ram + RAM_RESERVE <= ramLimit) && (flashLimit === undefined || flash <= flashLimit);
    return { emitted, code, flash, ram, fits, kernels: t.kernels };
  };
  let built = build(target);
  // the fast kernels trade flash (widened weights, Winograd's transformed ones, a body per layer) and some scratch
  // for speed: where they do not fit the limits, the portable kernels of the same CPU may
  let portableNote = '';
  if (!built.fits && target.kernels !== 'portable') {
    const portable = build({ ...target, kernels: 'portable' });
    portableNote = ` (with the portable kernels instead of the ${target.kernels} ones: flash ${formatInt(portable.flash)}, RAM ${formatInt(portable.ram + RAM_RESERVE)}, also over)`;
    if (portable.fits) {
      log(`the ${target.kernels} kernels need flash ${formatInt(built.flash)}, RAM ${formatInt(built.ram + RAM_RESERVE)} bytes: over the limits; compiled with the portable kernels (flash ${formatInt(portable.flash)}, RAM ${formatInt(portable.ram + RAM_RESERVE)})`);
      built = portable;
    }
  }
  const { emitted, code, flash, ram } = built;
  const flashParts = code
    ? `code ${formatInt(code.text)}${code.linked ? ` (linked; ${formatInt(code.compiledText)} compiled)` : ''} + constant data ${formatInt(code.rodata + code.data)} (weights and tables ${formatInt(code.modelArrays)}, the rest parameter structs)`
    : `weights and tables ${formatInt(emitted.constBytes)} (code not measured: ${target.cc} missing)`;

  // refuse before writing anything
  const problems: string[] = [];
  if (ramLimit !== undefined && ram + RAM_RESERVE > ramLimit)
    problems.push(`RAM: arena ${formatInt(emitted.arenaBytes)} + scratch ${formatInt(emitted.scratchBytes)} + runtime reserve ${formatInt(RAM_RESERVE)} = ${formatInt(ram + RAM_RESERVE)} bytes > ${formatInt(ramLimit)} available`);
  if (flashLimit !== undefined && flash > flashLimit)
    problems.push(`flash: ${flashParts} = ${formatInt(flash)} bytes > ${formatInt(flashLimit)} available`);
  if (problems.length) fail('QT501', `model does not fit ${board ? `board ${board.name}` : 'the given limits'}: ${problems.join('; ')}${portableNote}`);

  const base = buildReport(artifact, float, ranges);
  // a chain's MACs are its stages' (the float model has no node of the chain's name)
  base.layers.forEach((l, i) => {
    const n = artifact.graph.nodes[i]!;
    if (n.op === 'mac_chain') l.macs = opOf(n).macs!(n, [], []);
  });
  base.totals.macs = base.layers.reduce((s, l) => s + l.macs, 0);
  const report = {
    ...base,
    // consecutive-layer chains (--chain auto): layers, the proven accumulator bound and the margin to int32
    chains,
    chainsRefused,
    target: target.name,
    // the kernel family the C uses: the target's, or 'portable' where the fast ones did not fit the limits
    kernels: built.kernels,
    board: board?.name,
    memory: {
      arenaBytes: emitted.arenaBytes,
      arenaLowerBound: emitted.plan.lowerBound,
      arenaNaive: emitted.plan.naive,
      scratchBytes: emitted.scratchBytes,
      // the constant arrays the compiled model object keeps (measured); the declared ones without a compiler
      weightBytes: code ? code.modelArrays : emitted.constBytes,
      // the model object's read-only data (as linked for Arm targets): weightBytes plus the parameter structs and hash
      modelConstBytes: code ? code.model.rodata : null,
      code: code ?? null,
      flashBytes: code ? flash : null,
      ramBytes: ram,
    },
    codegenLayers: emitted.layers,
    modelHash: emitted.modelHash,
  };
  const out = resolve(opts.output ?? (usingExample ? 'out/digits_cnn' : `out/${name}`));
  mkdirSync(out, { recursive: true });
  for (const [file, text] of emitted.files) writeAtomic(join(out, file), text);
  writeAtomic(join(out, ARTIFACT_FILE), serializeArtifact(artifact));
  writeAtomic(join(out, 'report.json'), JSON.stringify(report, null, 1) + '\n');

  const macs = report.layers.map((l) => l.macs);
  process.stdout.write(
    `compiled ${m.source.file} for ${target.name}${board ? ` (${board.name})` : ''} into ${out}\n` +
      `quantization: ${m.options.mode === 'tflite' ? 'model parameters kept, TFLite rounding' : `${m.options.bits}-bit weights per ${m.options.granularity}, ${m.options.anchor}-anchored, qtool rounding`}\n\n` +
      table(
        ['#', 'layer', 'op', 'output', 'MACs', 'weight bytes', 'arena in use'],
        emitted.layers.map((l, i) => [String(i), l.name, l.op, `[${l.output.join(',')}]`, macs[i] ?? 0, l.constBytes, l.arenaBytes]),
      ) +
      `\nRAM:   arena ${formatInt(emitted.arenaBytes)} bytes (lower bound ${formatInt(emitted.plan.lowerBound)}, naive ${formatInt(emitted.plan.naive)}) + scratch ${formatInt(emitted.scratchBytes)}` +
      `\nflash: ${code ? `${formatInt(flash)} bytes = ${flashParts}, ${code.compiler}` : flashParts}` +
      `\nMACs:  ${formatInt(macs.reduce((a, b) => a + b, 0))}\n` +
      (target.name === 'host' ? `\nbuild and run on the host: make -C ${out} && ${out}/host_main < input.bin > output.bin\n` : `\nbuild: make -C ${out} (lib${name}.a with ${target.cc})\n`),
  );
}

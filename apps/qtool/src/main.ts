import { Command, CommanderError } from 'commander';
import { formatDiagnostic, QtError } from '@qtool/ir';

// The qtool CLI. Each verb lives in its own file under commands/ and is loaded lazily so `--help` stays fast.

const program = new Command();
program
  .name('qtool')
  .description('Quantize ONNX/TFLite models to integer-only C for microcontrollers, and verify them bit for bit.')
  .version('0.1.0')
  .exitOverride();

program
  .command('inspect')
  .description('show a model: inputs/outputs, one row per op (shapes, parameters, MACs), totals')
  .argument('<model>', '.onnx or .tflite file')
  .option('--json', 'print JSON instead of a table')
  .option('--ir', 'print the IR as text')
  .option('--raw', 'show the graph as imported, before the standard passes')
  .action(async (model: string, opts) => (await import('./commands/inspect.js')).inspect(model, opts));

const quantOptions = (c: Command) =>
  c
    .option('--calib <path>', 'calibration samples: a .npy batch, a TensorProto .pb, or a folder of .npy/.pb/.png/.bmp')
    .option('--calib-method <m>', 'minmax | moving-average | percentile | mse | kl (default minmax)')
    .option('--calib-count <n>', 'use at most n calibration samples (default 500)')
    .option('--calib-scale <s>', 'images: multiply pixels by s (default 1/255)')
    .option('--calib-mean <m>', 'images: then subtract m (one value, or one per channel, comma-separated; default 0)')
    .option('--bits <b>', 'weight bits 2..8 (default 8)')
    .option('--granularity <g>', 'weight parameters per tensor or per channel (default channel)')
    .option('--anchor <a>', 'integer weight offset from the min or max extreme (default min)')
    .option('--rounding <r>', "weights: 'offset' round(w/s)-o or 'shifted' round((w-wmin)/s) (default offset)")
    .option('--keep-quant [flavor]', "keep a quantized model's own parameters and TFLite's rounding: 'reference' (default: TFLite's reference kernels, as TFLite Micro and CMSIS-NN) or 'interpreter' (the desktop TFLite interpreter)");

quantOptions(
  program
    .command('compile')
    .description('quantize a model and write the integer artifact (qmodel.json) and report.json; no model: the bundled example')
    .argument('[model]', '.onnx or .tflite file (default: the bundled digits example)')
    .option('-o, --output <dir>', 'output folder (default out/<model name>)')
    .option('--target <t>', 'host | cortex-m0plus | cortex-m3 | cortex-m4 | cortex-m55 (default host, or the board\'s)')
    .option('--board <b>', 'mps2-an386 | mps3-an547 | lm3s6965evb | nucleo-l4r5zi: its CPU and memory limits')
    .option('--ram <bytes>', 'refuse a model whose arena + scratch does not fit (e.g. 64K)')
    .option('--flash <bytes>', 'refuse a model whose weights + code do not fit (e.g. 256K)')
    .option('--chain <mode>', "consecutive-layer chains: 'auto' skips the requantization between MAC layers where the int32 bound is proven, 'off' never (default off; docs/arithmetic.md, Chains)"),
).action(async (model: string | undefined, opts) => (await import('./commands/compile.js')).compile(model, opts));

quantOptions(
  program
    .command('validate')
    .description('float vs integer: accuracy, output agreement and per-layer SQNR on labelled data')
    .argument('<model>', 'model file')
    .requiredOption('--data <npy>', 'samples (.npy batch)')
    .option('--labels <npy>', 'integer class labels (.npy), one per sample')
    .option('--limit <n>', 'use at most n samples'),
).action(async (model: string, opts) => (await import('./commands/validate.js')).validate(model, opts));

program
  .command('run')
  .description('run a model file (float simulator) or a compiled folder (integer simulator) on .npy inputs')
  .argument('<model>', 'model file, or a folder written by compile')
  .requiredOption('-i, --input <npy...>', 'input tensor(s) as .npy, one per model input, in input order')
  .option('-o, --output <npy...>', 'where to write the output tensor(s) (.npy); default prints a summary')
  .option('--float', 'run the float reference simulator (model files always run in float)')
  .option('--dequantize', 'integer model: write float outputs (scale * (q - zero point)) instead of integers')
  .action(async (model: string, opts) => (await import('./commands/run.js')).run(model, opts));

program
  .command('flash')
  .description('put a compiled model on a board (emulated or on a serial port), run test vectors, compare with the integer simulator bit for bit')
  .argument('<dir>', 'a folder written by compile')
  .requiredOption('--board <b>', 'mps2-an386 | mps3-an547 | lm3s6965evb (emulated), or any board on --port')
  .option('--emulate', 'build the firmware for the folder and run it in QEMU')
  .option('--port <path>', 'serial port of a board running qtool firmware (/dev/ttyACM0, /dev/pts/N)')
  .option('--baud <n>', 'baud rate (default 115200)')
  .option('--vectors <n>', 'test vectors to send: calib.npy in the folder if present, else seeded random int8 (default 10)')
  .option('--seed <s>', 'seed of the random vectors (default 1)')
  .option('--mode <m>', "aot (model linked into the firmware: its hash is checked) | blob (model image loaded over serial); default: the firmware's")
  .action(async (dir: string, opts) => (await import('./commands/flash.js')).flash(dir, opts));

program
  .command('bench')
  .description('instructions per inference and per layer on an emulated board (QEMU + counting plugin), flash and RAM of the firmware')
  .argument('<dir>', 'a folder written by compile')
  .option('--board <b>', 'mps2-an386 | mps3-an547 | lm3s6965evb (default: the board the folder was compiled for)')
  .option('--json', 'print JSON: { instructions, layers: [{ index, name, op, instructions }], flash, ram, ... }')
  .action(async (dir: string, opts) => (await import('./commands/bench.js')).bench(dir, opts));

async function main(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof QtError) {
      for (const d of e.diagnostics) process.stderr.write(`error ${formatDiagnostic(d)}\n`);
      return e.code === 'QT002' ? 2 : 1;
    }
    const err = e as Error;
    process.stderr.write(`error QT003 internal error: ${err?.message ?? String(e)}\n`);
    if (process.env.QTOOL_DEBUG) process.stderr.write(`${err?.stack}\n`);
    return 70;
  }
}

process.exitCode = await main();

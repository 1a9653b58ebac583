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

program
  .command('run')
  .description('run a model on .npy inputs with the simulator')
  .argument('<model>', 'model file')
  .requiredOption('-i, --input <npy...>', 'input tensor(s) as .npy, one per model input, in input order')
  .option('-o, --output <npy...>', 'where to write the output tensor(s) (.npy); default prints a summary')
  .option('--float', 'run the float reference simulator')
  .action(async (model: string, opts) => (await import('./commands/run.js')).run(model, opts));

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

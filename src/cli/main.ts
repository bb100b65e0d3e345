/**
 * `tensorscript <command>`: train, evaluate, predict, bench, info. Each command parses its own flags with
 * node's util.parseArgs and has `--help`. `main(argv)` returns the exit code, so tests call it in-process.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ts from '../index.ts';
import { loadConfig } from './config.ts';
import { runEvaluate } from './evaluate-run.ts';
import { runExplain } from './explain-run.ts';
import { runPredict } from './predict-run.ts';
import { parseServeTarget, servedModelFromCheckpoint } from './served-checkpoint.ts';
import { resultLine, runTraining } from './train-run.ts';
import { didYouMean, nonNegativeFlag, parseFlags, positiveIntFlag, UsageError } from './usage.ts';

/** Where the package lives (for bench/ and package.json). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

/**
 * Once the reader of stdout or stderr goes away (`tensorscript train ... | head`), later output is dropped
 * instead of crashing on an unhandled EPIPE: the command still runs to its end, so a training run that was
 * piped into `head` still saves its checkpoint and report.
 */
const closedStreams = new WeakSet<NodeJS.WriteStream>();
function guardPipe(stream: NodeJS.WriteStream): void {
  if ((stream as { tsGuarded?: boolean }).tsGuarded) return;
  (stream as { tsGuarded?: boolean }).tsGuarded = true;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
      closedStreams.add(stream);
      return;
    }
    throw e;
  });
}
function writeTo(stream: NodeJS.WriteStream, s: string): void {
  if (!closedStreams.has(stream) && !stream.destroyed) stream.write(s);
}

const defaultIO: CliIO = {
  out: (s) => writeTo(process.stdout, s),
  err: (s) => writeTo(process.stderr, s),
};

const COMMANDS = ['train', 'evaluate', 'predict', 'serve', 'bench', 'info', 'help'];

const USAGE = `Usage: tensorscript <command> [options]

Commands:
  train <config>                 train from a run config (YAML or JSON), save checkpoint and report
  evaluate <checkpoint>          evaluate a checkpoint on its test split or on --data
  predict <checkpoint> <input>   predictions for CSV/JSON/JSONL records, images or text files
  explain <run> <input>          attributions of a saved model's predictions (PNG, HTML, JSON)
  serve <checkpoint>...          serve checkpoints over HTTP (Open Inference Protocol v2 + v1 predict)
  bench [args...]                run the benchmark suite (bench/run.ts), passing args through
  info                           version, backend, threads, SIMD flavour, Node version, layers

Run 'tensorscript <command> --help' for a command's options. Docs: docs/cli.md`;

const HELP: Record<string, string> = {
  serve: `Usage: tensorscript serve <[name[:version]=]checkpoint>... [options]

Serves training-run checkpoints: KServe v2 REST (GET /v2/health/live|ready, GET /v2/models/<name>,
POST /v2/models/<name>[/versions/<v>]/infer with the preprocessed input tensor) and
POST /v1/models/<name>/predict with raw records (CSV-schema objects, texts, base64 images), which go
through the checkpoint's saved preprocessing. Name several versions of one model as name:1=dirA name:2=dirB.

Options:
  --host <addr>          listen address (default 127.0.0.1)
  --port <n>             port (default 8080; 0 picks a free one)
  --max-batch <n>        dynamic batching: largest batch (default 32)
  --max-delay-ms <ms>    dynamic batching: longest wait for a batch to fill once two or more
                         requests queue; a lone request never waits (default 2)
  --api-key <key>        require this key (repeatable). Visible to other users in 'ps' and kept in
                         shell history: prefer TENSORSCRIPT_API_KEYS=key1,key2 in the environment
  --cors <origin>        allow this CORS origin (repeatable; CORS is off by default)
  --tls-cert <file>      serve HTTPS with this PEM certificate (chain); needs --tls-key
  --tls-key <file>       the certificate's PEM private key
  --drift <file.json>    drift thresholds (psi, ksPValue, ksStatistic, chi2PValue, cramersV, minSamples,
                         window, baseline); the report is at GET /v1/models/<name>/drift and in /metrics
  --no-drift             turn drift monitoring off
  -h, --help             this help`,
  train: `Usage: tensorscript train <config.yaml|config.json> [options]

Trains the model a run config describes (schema: docs/cli.md), shows a progress bar, saves
<out>/checkpoint (config, weights, preprocessing, labels, history), evaluates on the test split,
writes <out>/report (report.json, report.html, charts) and prints one JSON result line last.

Options:
  --out <dir>        output directory (default: the config's output, else runs/<name>)
  --epochs <n>       override training.epochs (the total when resuming)
  --resume <dir>     continue the run a checkpoint ended (a run dir or its checkpoint/; optimizer,
                     RNG and callback states come from it), bit for bit an uninterrupted run
  --quiet            no progress bar
  -h, --help         this help`,
  evaluate: `Usage: tensorscript evaluate <checkpoint> [options]

Evaluates a checkpoint (the run's output dir or its checkpoint/ dir). Without --data, the test
split of the run's own data source (rebuilt from run.json with the same seed) is used.

Options:
  --data <path>      CSV/JSON/JSONL file with the label column (tabular), or a folder with one
                     sub-folder per class (images or texts)
  --out <dir>        write the evaluation report here (default: <run dir>/evaluation)
  -h, --help         this help`,
  predict: `Usage: tensorscript predict <checkpoint> <input> [options]

Input by extension: .csv, .json (array of records / texts / pixel arrays), .jsonl, .png/.jpg/.jpeg
(one image), a folder of images, or any other file as one text document.
Writes one prediction per record: the label and class probabilities (or the value for regression).

Options:
  --out <file>       write predictions here (.json array, .jsonl or .csv; default: JSON Lines on stdout)
  --batch-size <n>   records per forward pass (default 256)
  -h, --help         this help`,
  explain: `Usage: tensorscript explain <run|checkpoint> <input> [options]

Explains the predictions of a saved model for the records of <input> (as tensorscript predict reads it;
the first 16 records): KernelSHAP feature attributions for tabular models, integrated gradients for image
models (a heat map) and per-token integrated gradients for text models. Writes explanation.json,
explanation-<i>.png and explanation.html.

Options:
  --out <dir>        output directory (default <run>/explain/<input name>)
  --steps <n>        integrated-gradients path steps (default 64)
  --samples <n>      KernelSHAP coalition budget (default 2048)
  -h, --help         this help`,
  bench: `Usage: tensorscript bench [args...]

Runs bench/run.ts (the benchmark suite) with the given arguments; see docs/benchmarks.md.`,
  info: `Usage: tensorscript info [--json]

Prints the version, the active backend, its threads and SIMD flavour, the Node version and the
registered layer classes.`,
};

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

async function cmdTrain(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    out: { type: 'string' },
    epochs: { type: 'string' },
    resume: { type: 'string' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help('train', io);
  if (positionals.length !== 1) return usageError('train', 'expected exactly one config file', io);
  // Flag values first: a typo in one is a usage error before any file is read.
  const epochs = positiveIntFlag('--epochs', values.epochs);
  const config = loadConfig(positionals[0]!);
  if (epochs !== undefined) config.training.epochs = epochs;
  if (values.quiet) config.training.verbose = 0;
  const log = (s: string) => io.out(`${s}\n`);
  const r = await runTraining(config, {
    outDir: values.out,
    log,
    progress: values.quiet ? undefined : process.stdout,
    ...(values.resume === undefined ? {} : { resumeFrom: values.resume }),
  });
  io.out(`${resultLine(config.name, r.metrics, r.samplesPerSec)}\n`);
  return 0;
}

async function cmdEvaluate(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    data: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help('evaluate', io);
  if (positionals.length !== 1) return usageError('evaluate', 'expected exactly one checkpoint', io);
  const r = await runEvaluate(positionals[0]!, {
    data: values.data,
    outDir: values.out,
    log: (s) => io.out(`${s}\n`),
  });
  io.out(`${resultLine(r.workflow, r.metrics, r.samplesPerSec)}\n`);
  return 0;
}

async function cmdPredict(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    out: { type: 'string' },
    'batch-size': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help('predict', io);
  if (positionals.length !== 2) return usageError('predict', 'expected a checkpoint and an input', io);
  const batchSize = positiveIntFlag('--batch-size', values['batch-size']);
  await runPredict(positionals[0]!, positionals[1]!, {
    out: values.out,
    batchSize,
    write: io.out,
    log: (s) => io.err(`${s}\n`),
  });
  return 0;
}

async function cmdExplain(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    out: { type: 'string' },
    steps: { type: 'string' },
    samples: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help('explain', io);
  if (positionals.length !== 2)
    return usageError('explain', 'expected a run (or checkpoint) and an input', io);
  const { outDir } = await runExplain(positionals[0]!, positionals[1]!, {
    out: values.out,
    steps: positiveIntFlag('--steps', values.steps),
    samples: positiveIntFlag('--samples', values.samples),
    log: (s) => io.err(`${s}\n`),
  });
  io.out(`${JSON.stringify({ explain: outDir })}\n`);
  return 0;
}

async function cmdBench(args: string[], io: CliIO): Promise<number> {
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) return help('bench', io);
  const script = join(PACKAGE_ROOT, 'bench', 'run.ts');
  if (!existsSync(script))
    throw new ts.TensorScriptError('bench', `${script} not found (bench/ ships with the repository)`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: PACKAGE_ROOT,
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolvePromise(code ?? (signal !== null ? 1 : 0)));
  });
}

/** What `info` reports. */
export function infoObject(): Record<string, unknown> {
  const b = ts.getBackend() as ts.Backend & { threads?: number; flavor?: string };
  return {
    version: packageVersion(),
    backend: b.name,
    backends: ts.backendNames(),
    threads: b.threads ?? 1,
    cpus: availableParallelism(),
    simd: b.flavor ?? null,
    relaxedSimd: b.flavor === 'relaxed',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    layers: ts.nn.registeredLayers(),
    losses: ts.train.lossNames(),
    optimizers: ts.optim.optimizerNames(),
    metrics: ts.metrics.metricNames(),
    native: nativeInfo(),
  };
}

/**
 * The native engine (ONNX Runtime via the optional onnxruntime-node): whether it loads, why not, its
 * execution providers, and what runs on it. Tensor ops stay on `backend`; ts.native.compile and
 * ts.native.trainStep run whole graphs on it.
 */
function nativeInfo(): Record<string, unknown> {
  const st = ts.native.nativeStatus();
  if (!st.available) return { available: false, reason: st.reason };
  return {
    available: true,
    version: st.version,
    threads: ts.native.defaultThreads(),
    providers: st.providers.map((p) => `${p.name}${p.bundled ? '' : ' (libraries not bundled)'}`),
    runs: 'ts.native.compile (inference) and ts.native.trainStep (Sequential MLPs with SGD/Adam)',
  };
}

function cmdInfo(args: string[], io: CliIO): number {
  const { values } = parseFlags(
    args,
    { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    false,
  );
  if (values.help) return help('info', io);
  const info = infoObject();
  if (values.json) {
    io.out(`${JSON.stringify(info)}\n`);
    return 0;
  }
  const lines = [
    `tensorscript ${info.version}`,
    `backend      ${info.backend} (available: ${(info.backends as string[]).join(', ')})`,
    `threads      ${info.threads} (${info.cpus} CPUs)`,
    `simd         ${info.simd ?? 'none'}${info.relaxedSimd ? ' (relaxed SIMD on)' : ''}`,
    `native       ${nativeLine(info.native as Record<string, unknown>)}`,
    `node         ${info.node} ${info.platform}`,
    `layers       ${(info.layers as string[]).join(', ')}`,
    `losses       ${(info.losses as string[]).join(', ')}`,
    `optimizers   ${(info.optimizers as string[]).join(', ')}`,
  ];
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

function nativeLine(n: Record<string, unknown>): string {
  if (n.available !== true)
    return `absent: ${n.reason}; everything runs on the ${ts.getBackend().name} backend`;
  return `onnxruntime-node ${n.version}, ${n.threads} threads, providers ${(n.providers as string[]).join(', ')}; runs ${n.runs}`;
}

function help(cmd: string, io: CliIO): number {
  io.out(`${HELP[cmd]}\n`);
  return 0;
}

function usageError(cmd: string, msg: string, io: CliIO): number {
  io.err(`tensorscript ${cmd}: ${msg}\n\n${HELP[cmd]}\n`);
  return 2;
}

async function cmdServe(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    host: { type: 'string' },
    port: { type: 'string' },
    'max-batch': { type: 'string' },
    'max-delay-ms': { type: 'string' },
    'api-key': { type: 'string', multiple: true },
    cors: { type: 'string', multiple: true },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    drift: { type: 'string' },
    'no-drift': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help('serve', io);
  if (values.drift !== undefined && values['no-drift'] === true)
    return usageError('serve', '--drift and --no-drift exclude each other', io);
  let drift: Partial<ts.monitor.DriftThresholds> | false | undefined =
    values['no-drift'] === true ? false : undefined;
  if (values.drift !== undefined) {
    const file = values.drift;
    try {
      drift = JSON.parse(readFileSync(file, 'utf8')) as Partial<ts.monitor.DriftThresholds>;
    } catch (e) {
      return usageError('serve', `--drift ${file}: ${(e as Error).message}`, io);
    }
    // Checked here too, so a bad key fails before the checkpoints load.
    ts.monitor.driftThresholds(drift);
  }
  const certFile = values['tls-cert'];
  const keyFile = values['tls-key'];
  if ((certFile === undefined) !== (keyFile === undefined))
    return usageError('serve', '--tls-cert and --tls-key go together', io);
  if (positionals.length === 0) return usageError('serve', 'expected at least one checkpoint directory', io);
  const num = (v: string | undefined, name: string, dflt: number) => nonNegativeFlag(`--${name}`, v, dflt);
  const port = num(values.port, 'port', 8080);
  const maxBatchSize = num(values['max-batch'], 'max-batch', 32);
  const maxQueueDelayMs = num(values['max-delay-ms'], 'max-delay-ms', 2);
  if ((values['api-key'] ?? []).length > 0) {
    io.err(
      'tensorscript serve: warning: --api-key shows the key to every user of this machine (ps, /proc) and in shell history; set TENSORSCRIPT_API_KEYS=key1,key2 in the environment instead\n',
    );
  }
  const envKeys = (process.env.TENSORSCRIPT_API_KEYS ?? '').split(',').filter((k) => k.length > 0);
  const apiKeys = [...(values['api-key'] ?? []), ...envKeys];
  const models = positionals.map((p) => servedModelFromCheckpoint(parseServeTarget(p)));
  const server = await ts.serving.serve({
    models,
    host: values.host ?? '127.0.0.1',
    port,
    batching: { maxBatchSize, maxQueueDelayMs },
    apiKeys: apiKeys.length > 0 ? apiKeys : undefined,
    corsOrigins: values.cors,
    ...(certFile !== undefined && keyFile !== undefined ? { tls: { certFile, keyFile } } : {}),
    ...(drift === undefined ? {} : { drift }),
  });
  io.out(`serving ${models.map((m) => `${m.name}:${m.version}`).join(', ')} at ${server.url}\n`);
  await new Promise<void>((resolve) => {
    server.app.server.once('close', () => resolve());
  });
  return 0;
}

/** Runs the CLI with the given arguments (without node and script); returns the exit code. */
export async function main(argv: readonly string[], io: CliIO = defaultIO): Promise<number> {
  if (io === defaultIO) {
    guardPipe(process.stdout);
    guardPipe(process.stderr);
  }
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.out(`${USAGE}\n`);
        return cmd === undefined ? 2 : 0;
      case '-v':
      case '--version':
        io.out(`${packageVersion()}\n`);
        return 0;
      case 'train':
        return await cmdTrain(rest, io);
      case 'evaluate':
        return await cmdEvaluate(rest, io);
      case 'predict':
        return await cmdPredict(rest, io);
      case 'explain':
        return await cmdExplain(rest, io);
      case 'bench':
        return await cmdBench(rest, io);
      case 'serve':
        return await cmdServe(rest, io);
      case 'info':
        return cmdInfo(rest, io);
      default:
        io.err(`tensorscript: unknown command "${cmd}"${didYouMean(cmd, COMMANDS)}\n\n${USAGE}\n`);
        return 2;
    }
  } catch (e) {
    const err = e as Error & { code?: string };
    // Unknown flags and bad flag values are usage errors (exit 2), not failures of the command (exit 1).
    if (
      err instanceof UsageError ||
      (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS'))
    ) {
      io.err(`tensorscript ${cmd}: ${err.message}\n\n${HELP[cmd ?? ''] ?? USAGE}\n`);
      return 2;
    }
    if (err instanceof ts.TensorScriptError) {
      io.err(`${err.message}\n`);
      return 1;
    }
    throw e;
  }
}

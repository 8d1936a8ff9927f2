// Front-end throughput: parse (and check, once the checker exists) generated programs of
// 1k, 10k and 100k lines. Time should grow linearly; the last column shows the growth.
// Run after the build: node dist/bench/parse.js

import { pathToFileURL } from 'node:url';
import type { Program } from '../language/ast.js';
import type { Diagnostic } from '../language/diagnostics.js';
import { parse } from '../language/parse.js';

type Check = (program: Program, source: string) => { diagnostics: Diagnostic[] };

/** A deterministic pseudo-random generator, so every run measures the same programs. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** About `lines` lines of a realistic model: declarations, definitions, samples, loops, a guide, comments. */
export function generateProgram(lines: number, seed = 1): string {
  const rand = lcg(seed);
  const pick = <X>(xs: readonly X[]): X => xs[Math.floor(rand() * xs.length)]!;
  const out: string[] = ['plate N', 'data K: int', 'data x: real[N]', 'data X: real[N, K]'];
  const defined = ['x', 'X'];
  let i = 0;
  const fresh = () => `v${i++}`;
  const operand = () => (rand() < 0.3 ? (rand() * 10).toFixed(2) : pick(defined));
  const expr = () => {
    const a = operand();
    const b = operand();
    const forms = [
      `${a} + ${b} * ${operand()}`,
      `exp(${a}) / (1 + ${b})`,
      `if ${a} > ${b} then ${a} else -${b} ^ 2`,
      `sum(${a} * ${b}, 0) @ ${operand()}`,
      `sigmoid(${a} - ${b}) # a trailing comment`,
    ];
    return pick(forms);
  };
  while (out.length < lines) {
    const r = rand();
    if (r < 0.1) {
      const n = fresh();
      out.push(`data ${n}: real[N] = zeros(N)`);
      defined.push(n);
    } else if (r < 0.2) {
      const n = fresh();
      out.push(`param ${n}: positive[K]`);
      defined.push(n);
    } else if (r < 0.5) {
      const n = fresh();
      out.push(`${n} = ${expr()}`);
      defined.push(n);
    } else if (r < 0.75) {
      const n = fresh();
      out.push(`${n}: real[N] ~ Normal(${operand()}, softplus(${operand()}))${rand() < 0.2 ? ' @reparam' : ''}`);
      defined.push(n);
    } else if (r < 0.85) {
      const n = fresh();
      out.push(`for t in 1..N {`, `  ${n}[t] ~ Normal(${operand()}[t - 1],`, `    1.5)`, `}`);
      defined.push(n);
    } else if (r < 0.9) {
      out.push('', `# section ${i}`);
    } else {
      const n = fresh();
      out.push(`${n} = [${operand()}, ${operand()}]; ${fresh()} = ${operand()}[0]`);
      defined.push(n);
    }
  }
  return `${out.join('\n')}\n`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median wall-clock and CPU milliseconds of `runs` runs. CPU time (this process, all threads) is
 * what shows linearity on a loaded machine; wall time is what a user waits. */
function time(f: () => void, runs = 5): { wall: number; cpu: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

async function main(): Promise<void> {
  let check: Check | undefined;
  try {
    const mod = (await import('../language/checker.js')) as { check?: Check };
    check = mod.check;
  } catch {
    check = undefined;
  }

  // Warm up the parser (its one-time grammar analysis) and the JIT.
  for (let k = 0; k < 3; k++) parse(generateProgram(2000, 99));

  const header = ['lines', 'parse ms', 'cpu ms', 'µs/line', 'ratio'];
  if (check) header.push('check ms', 'cpu ms', 'µs/line', 'ratio');
  const rows: string[][] = [header];
  let prev: { parse: number; check: number } | undefined;
  for (const lines of [1_000, 10_000, 100_000]) {
    const source = generateProgram(lines);
    const actualLines = source.split('\n').length - 1;
    const first = parse(source);
    if (first.diagnostics.length) throw new Error(`generated program has syntax errors: ${first.diagnostics[0]!.message}`);
    const p = time(() => parse(source));
    const row = [String(actualLines), p.wall.toFixed(1), p.cpu.toFixed(1), ((p.cpu * 1000) / actualLines).toFixed(1), prev ? (p.cpu / prev.parse).toFixed(1) : '—'];
    let checkCpu = 0;
    if (check) {
      const c = check;
      const t = time(() => c(first.program, source));
      checkCpu = t.cpu;
      row.push(t.wall.toFixed(1), t.cpu.toFixed(1), ((t.cpu * 1000) / actualLines).toFixed(1), prev ? (t.cpu / prev.check).toFixed(1) : '—');
    }
    rows.push(row);
    prev = { parse: p.cpu, check: checkCpu };
  }
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const fmt = (r: string[]) => `| ${r.map((cell, c) => cell.padStart(widths[c]!)).join(' | ')} |`;
  console.log(fmt(rows[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 1) + ':').join('|')}|`);
  for (const r of rows.slice(1)) console.log(fmt(r));
  console.log('(median of 5 runs; µs/line and ratio from CPU time; ratio = time / time of the previous row, 10.0 is linear)');
}

// Run only as a script, so tests and other benches can import generateProgram.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

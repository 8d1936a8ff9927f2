// The playground's fit worker: compiles, checks and fits off the page's main thread, so the
// page keeps answering clicks while a fit runs. Uses only the package root's browser-safe API.

import { activeBackend, compile, configureWasmPaths, ModelError, renderDiagnostic, selectBackend, type Diagnostic, type Fit } from '../../index.js';
import type { FitSettings, FromWorker, PlanRow, ToWorker, WireDiagnostic } from './protocol.js';

const post = (m: FromWorker) => (self as unknown as Worker).postMessage(m);

// The .wasm binaries sit beside the page in wasm/ (the build copies them there). Their path is
// set explicitly; when they cannot be fetched the worker falls back to the cpu backend.
const WASM_DIR = new URL('./wasm/', self.location.href).href;
configureWasmPaths(WASM_DIR);

const wasmAvailable: Promise<{ ok: boolean; reason: string }> = fetch(WASM_DIR + 'tfjs-backend-wasm-simd.wasm', { method: 'HEAD' })
  .then((r) => (r.ok ? { ok: true, reason: `served from ${WASM_DIR}` } : { ok: false, reason: `${WASM_DIR} answered ${r.status}` }))
  .catch((e: unknown) => ({ ok: false, reason: `cannot fetch ${WASM_DIR}: ${String(e)}` }));

void wasmAvailable.then((w) => post({ type: 'ready', wasm: w.ok, wasmReason: w.reason }));

function wire(d: Diagnostic, source: string | undefined, pane: 'model' | 'data'): WireDiagnostic {
  return {
    severity: d.severity,
    message: d.message,
    pane,
    file: d.file,
    line: d.span?.start.line,
    column: d.span?.start.column,
    endLine: d.span?.end.line,
    endColumn: d.span?.end.column,
    rendered: renderDiagnostic(d, source),
  };
}

/** Line and column (1-based) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** The span of the one character at a line and column (1-based) of `text`. */
function charAt(text: string, line: number, column: number): NonNullable<Diagnostic['span']> {
  const offset = text.split('\n').slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1;
  return { start: { offset, line, column }, end: { offset: offset + 1, line, column: column + 1 } };
}

/** The data pane's JSON; a problem is a ModelError with a data diagnostic, as binding's are. */
function parseData(text: string, file: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    // V8 says "… at position 12" and, since 2023, also "(line 2 column 5)".
    const lc = /line (\d+) column (\d+)/.exec(msg);
    const pos = /position (\d+)/.exec(msg);
    const where = lc ? { line: Number(lc[1]), column: Number(lc[2]) } : pos ? lineColumn(text, Number(pos[1])) : undefined;
    const message = `invalid JSON: ${msg.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*$/, '')}`;
    throw new ModelError([{ severity: 'error', code: 'data-json', message, file, span: where && charAt(text, where.line, where.column) }]);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ModelError([{ severity: 'error', code: 'file', message: 'data must be a JSON object mapping names to values', file }]);
  }
  return value as Record<string, unknown>;
}

function planRows(plan: Record<string, { estimator: string; reason: string }>): PlanRow[] {
  return Object.entries(plan).map(([site, e]) => ({ site, estimator: e.estimator, reason: e.reason }));
}

function check(id: number, source: string, file: string): void {
  try {
    const model = compile(source, { file });
    const plan = model.plan.entries.map((e) => ({ site: e.site, estimator: e.estimator, reason: e.reason }));
    post({ type: 'checked', id, ok: true, diagnostics: model.warnings.map((d) => wire(d, source, 'model')), plan, mode: model.program.mode });
  } catch (e) {
    if (e instanceof ModelError) post({ type: 'checked', id, ok: false, diagnostics: e.diagnostics.map((d) => wire(d, source, 'model')), plan: [], mode: '' });
    else post({ type: 'checked', id, ok: false, diagnostics: [{ severity: 'error', message: String(e), pane: 'model', file, rendered: String(e) }], plan: [], mode: '' });
  }
}

/**
 * Where the fit runs: 'js' and 'auto' as they are (the fit loads tfjs itself, only when its step
 * runs on tfjs kernels); a tfjs backend by name, or wasm when named but its binaries are not served.
 */
async function chooseBackend(wanted: FitSettings['backend']): Promise<string> {
  if (wanted === 'auto' || wanted === 'js') return wanted;
  if (wanted !== 'wasm') return selectBackend(wanted);
  if ((await wasmAvailable).ok) {
    try {
      return await selectBackend('wasm');
    } catch {
      // fall through
    }
  }
  return selectBackend('cpu');
}

let running: { id: number; controller: AbortController } | undefined;

async function fit(m: Extract<ToWorker, { type: 'fit' }>): Promise<void> {
  const controller = new AbortController();
  running = { id: m.id, controller };
  let source: string | undefined = m.source;
  try {
    const model = compile(m.source, { file: m.file });
    source = undefined; // data diagnostics point into the data, not the model
    const data = parseData(m.dataText, m.dataFile);
    model.bind(data, m.dataFile);
    const backend = await chooseBackend(m.settings.backend);
    post({ type: 'started', id: m.id, backend });
    // auto and js run the compiled step where the fit allows (generated JavaScript, in this worker too).
    const wanted = m.settings.backend;
    const result: Fit = await model.fit({
      data,
      dataFile: m.dataFile,
      backend: wanted === 'auto' || wanted === 'js' ? wanted : (backend as FitSettings['backend']),
      steps: m.settings.steps,
      particles: m.settings.particles,
      seed: m.settings.seed,
      guide: m.settings.guide,
      signal: controller.signal,
      onProgress: (p) => post({ type: 'progress', id: m.id, progress: { ...p } }),
    });
    const summary = Object.entries(result.summary()).map(([name, r]) => ({ name, ...r }));
    const scalarLatents = [...model.program.symbols.values()].filter((s) => s.kind === 'latent' && s.scope === 'model' && summary.some((r) => r.name === s.name));
    const histograms = scalarLatents.map((s) => ({ name: s.name, draws: result.samples(s.name) as number[] }));
    const d = result.diagnostics;
    post({
      type: 'done',
      id: m.id,
      summary,
      plan: planRows(result.planJSON()),
      histograms,
      elboTrace: [...result.elboTrace],
      diagnostics: { backend: d.backend, tfjs: activeBackend() ?? null, steps: d.steps, seconds: d.seconds, stopped: d.stopped, elbo: d.elbo, khat: Number.isFinite(d.khat) ? d.khat : null, khatReading: d.khatReading, warnings: d.warnings },
    });
  } catch (e) {
    if (e instanceof ModelError) {
      const pane = source === undefined ? 'data' : 'model';
      post({ type: 'failed', id: m.id, message: e.message, diagnostics: e.diagnostics.map((d) => wire(d, e.source ?? source, pane)) });
    } else post({ type: 'failed', id: m.id, message: e instanceof Error ? `${e.name}: ${e.message}` : String(e), diagnostics: [] });
  } finally {
    if (running?.id === m.id) running = undefined;
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case 'check':
      check(m.id, m.source, m.file);
      break;
    case 'fit':
      void fit(m);
      break;
    case 'stop':
      if (running && running.id === m.id) running.controller.abort();
      break;
  }
};

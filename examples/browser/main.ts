// The playground page: editor, data pane, Fit/Stop, live ELBO curve, posterior table,
// histograms and the estimator plan. All model work happens in worker.ts; this thread only
// draws, so it answers clicks while a fit runs. No framework: a few DOM helpers suffice.

import type { FitSettings, FromWorker, PlanRow, ProgressWire, SummaryRowWire, ToWorker, WireDiagnostic } from './protocol.js';

/** The bundled models (models/*.tilde with their JSON data), inlined by build.mjs. */
declare const __TILDE_MODELS__: { name: string; source: string; data: string }[];

const MODELS = __TILDE_MODELS__;
const DEFAULT_MODEL = 'eight_schools';

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;

const ui = {
  select: $<HTMLSelectElement>('#model-select'),
  backend: $<HTMLSelectElement>('#backend'),
  guide: $<HTMLSelectElement>('#guide'),
  steps: $<HTMLInputElement>('#steps'),
  particles: $<HTMLInputElement>('#particles'),
  seed: $<HTMLInputElement>('#seed'),
  fit: $<HTMLButtonElement>('#fit'),
  stop: $<HTMLButtonElement>('#stop'),
  status: $<HTMLSpanElement>('#status'),
  fileName: $<HTMLElement>('#file-name'),
  model: $<HTMLTextAreaElement>('#model'),
  data: $<HTMLTextAreaElement>('#data'),
  errors: $<HTMLUListElement>('#errors'),
  elbo: $<HTMLCanvasElement>('#elbo'),
  elboLabel: $<HTMLElement>('#elbo-label'),
  fitInfo: $<HTMLParagraphElement>('#fit-info'),
  summary: $<HTMLTableSectionElement>('#summary tbody'),
  histograms: $<HTMLDivElement>('#histograms'),
  plan: $<HTMLTableSectionElement>('#plan tbody'),
};

/** What the end-to-end test and curious users can read: timings in ms since navigation start. */
const metrics = {
  workerReadyAt: NaN,
  fitPressedAt: NaN,
  firstElboAt: NaN,
  doneAt: NaN,
  fits: 0,
};
(window as unknown as { tildePlayground: unknown }).tildePlayground = { metrics };

// ---------------------------------------------------------------- editors

class Editor {
  readonly gutter: HTMLPreElement;
  readonly backdrop: HTMLPreElement;
  private marks: WireDiagnostic[] = [];

  constructor(
    readonly root: HTMLElement,
    readonly area: HTMLTextAreaElement,
  ) {
    this.gutter = root.querySelector('.gutter') as HTMLPreElement;
    this.backdrop = root.querySelector('.backdrop') as HTMLPreElement;
    area.addEventListener('input', () => this.render());
    area.addEventListener('keydown', (e) => {
      if (e.key === 'Tab') {
        e.preventDefault();
        area.setRangeText('  ', area.selectionStart, area.selectionEnd, 'end');
        area.dispatchEvent(new Event('input'));
      }
    });
  }

  get text(): string {
    return this.area.value;
  }

  set text(v: string) {
    this.area.value = v;
    this.marks = [];
    this.render();
  }

  mark(ds: WireDiagnostic[]): void {
    this.marks = ds.filter((d) => d.line !== undefined);
    this.render();
  }

  /** Offset of a 1-based line and column in the text. */
  offset(line: number, column: number): number {
    const lines = this.area.value.split('\n');
    let o = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) o += lines[i]!.length + 1;
    return Math.min(this.area.value.length, o + column - 1);
  }

  reveal(d: WireDiagnostic): void {
    if (d.line === undefined) return;
    const start = this.offset(d.line, d.column ?? 1);
    const end = d.endLine !== undefined ? Math.max(start + 1, this.offset(d.endLine, d.endColumn ?? 1)) : start + 1;
    this.area.focus();
    this.area.setSelectionRange(start, end);
    const lineHeight = parseFloat(getComputedStyle(this.area).lineHeight) || 19;
    this.root.scrollTop = Math.max(0, (d.line - 3) * lineHeight);
  }

  private render(): void {
    const text = this.area.value;
    const lines = text.split('\n');
    const bad = new Set(this.marks.map((d) => d.line));
    this.gutter.innerHTML = lines.map((_, i) => (bad.has(i + 1) ? `<span class="bad">${i + 1}</span>` : String(i + 1))).join('\n');
    // The backdrop mirrors the text with the error spans marked, behind the transparent textarea.
    const ranges = this.marks
      .map((d) => {
        const s = this.offset(d.line!, d.column ?? 1);
        const e = d.endLine !== undefined ? this.offset(d.endLine, d.endColumn ?? 1) : s + 1;
        return [s, Math.max(e, s + 1)] as const;
      })
      .sort((a, b) => a[0] - b[0]);
    let html = '';
    let at = 0;
    for (const [s, e] of ranges) {
      if (s < at) continue;
      html += escape(text.slice(at, s)) + `<mark>${escape(text.slice(s, e)) || ' '}</mark>`;
      at = e;
    }
    this.backdrop.innerHTML = html + escape(text.slice(at)) + '\n';
    // Grow the textarea with its content so the editor box scrolls both layers together.
    this.area.style.height = '0';
    this.area.style.height = `${Math.max(this.area.scrollHeight, this.root.clientHeight)}px`;
    this.area.style.width = '0';
    this.area.style.width = `${Math.max(this.area.scrollWidth, (this.root.querySelector('.code') as HTMLElement).clientWidth)}px`;
  }
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const modelEditor = new Editor($('#model-editor'), ui.model);
const dataEditor = new Editor($('#data-editor'), ui.data);

// ---------------------------------------------------------------- worker

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let nextId = 1;
let checkId = 0;
let fitId = 0;
let fitting = false;
let wasm = { ok: false, reason: 'not checked yet' };
let points: ProgressWire[] = [];
let maxSteps = 0;

const send = (m: ToWorker) => worker.postMessage(m);

function currentFile(): string {
  return `${ui.select.value || 'model'}.tilde`;
}

function showDiagnostics(ds: WireDiagnostic[]): void {
  ui.errors.replaceChildren(
    ...ds.map((d) => {
      const li = document.createElement('li');
      li.className = d.severity;
      const where = d.line !== undefined ? `line ${d.line}, column ${d.column}` : d.file;
      li.textContent = `${d.pane === 'data' ? 'data' : 'model'} ${where}: ${d.message}\n${d.rendered}`;
      li.dataset['line'] = d.line === undefined ? '' : String(d.line);
      li.dataset['column'] = d.column === undefined ? '' : String(d.column);
      li.addEventListener('click', () => (d.pane === 'data' ? dataEditor : modelEditor).reveal(d));
      return li;
    }),
  );
  modelEditor.mark(ds.filter((d) => d.pane === 'model' && d.severity === 'error'));
  dataEditor.mark(ds.filter((d) => d.pane === 'data' && d.severity === 'error'));
}

let checkTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleCheck(): void {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(() => {
    checkId = nextId++;
    send({ type: 'check', id: checkId, source: modelEditor.text, file: currentFile() });
  }, 200);
}

function setStatus(text: string): void {
  ui.status.textContent = text;
}

function settings(): FitSettings {
  const int = (el: HTMLInputElement, dflt: number) => (Number.isInteger(Number(el.value)) && el.value !== '' ? Number(el.value) : dflt);
  return {
    backend: ui.backend.value as FitSettings['backend'],
    guide: ui.guide.value as FitSettings['guide'],
    steps: int(ui.steps, 10000),
    particles: int(ui.particles, 8),
    seed: int(ui.seed, 1),
  };
}

function startFit(): void {
  if (fitting) return;
  fitting = true;
  metrics.fitPressedAt = performance.now();
  metrics.firstElboAt = NaN;
  fitId = nextId++;
  points = [];
  drawElbo();
  ui.fit.disabled = true;
  ui.stop.disabled = false;
  document.body.dataset['state'] = 'fitting';
  setStatus('compiling…');
  send({ type: 'fit', id: fitId, source: modelEditor.text, file: currentFile(), dataText: dataEditor.text, dataFile: `${ui.select.value || 'data'}.json`, settings: settings() });
}

function endFit(state: 'done' | 'failed'): void {
  fitting = false;
  ui.fit.disabled = false;
  ui.stop.disabled = true;
  document.body.dataset['state'] = state;
}

worker.onmessage = (ev: MessageEvent<FromWorker>) => {
  const m = ev.data;
  switch (m.type) {
    case 'ready':
      wasm = { ok: m.wasm, reason: m.wasmReason };
      metrics.workerReadyAt = performance.now();
      if (!fitting) setStatus(`ready — wasm ${wasm.ok ? 'available' : 'unavailable, cpu'}`);
      ui.backend.options[0]!.textContent = `auto (${wasm.ok ? 'wasm' : 'cpu: ' + wasm.reason})`;
      document.body.dataset['ready'] = 'true';
      break;
    case 'checked':
      if (m.id !== checkId) return; // an older check
      showDiagnostics(m.diagnostics);
      if (m.ok) renderPlan(m.plan);
      break;
    case 'started':
      if (m.id === fitId) setStatus(`fitting on ${m.backend}…`);
      break;
    case 'progress':
      if (m.id !== fitId) return;
      if (Number.isNaN(metrics.firstElboAt)) metrics.firstElboAt = performance.now();
      points.push(m.progress);
      maxSteps = m.progress.maxSteps;
      setStatus(`step ${m.progress.step} · ELBO ${fmt(m.progress.smoothedElbo)} · ${Math.round(m.progress.stepsPerSecond)} steps/s · ${m.progress.phase}`);
      drawElbo();
      break;
    case 'done': {
      if (m.id !== fitId) return;
      metrics.doneAt = performance.now();
      metrics.fits++;
      const d = m.diagnostics;
      const stopped = d.stopped === 'aborted' ? 'stopped' : d.stopped;
      setStatus(`done: ${d.steps} steps (${stopped}) on ${d.backend} in ${d.seconds.toFixed(2)} s`);
      document.body.dataset['tfjs'] = d.tfjs ?? 'none';
      ui.fitInfo.textContent = `ELBO ${fmt(d.elbo)} · k̂ ${d.khat === null ? 'n/a' : d.khat.toFixed(2) + ' (' + d.khatReading + ')'} · ${d.steps} steps (${stopped}) · backend ${d.backend} · ${d.seconds.toFixed(2)} s${d.warnings.length ? ' · ' + d.warnings.join('; ') : ''}`;
      renderSummary(m.summary);
      renderHistograms(m.histograms, m.summary);
      renderPlan(m.plan);
      showDiagnostics([]);
      endFit('done');
      break;
    }
    case 'failed':
      if (m.id !== fitId) return;
      setStatus('fit failed');
      showDiagnostics(m.diagnostics.length ? m.diagnostics : [{ severity: 'error', message: m.message, pane: 'model', file: currentFile(), rendered: m.message }]);
      endFit('failed');
      break;
  }
};

worker.onerror = (e) => {
  setStatus(`worker error: ${e.message}`);
  endFit('failed');
};

// ---------------------------------------------------------------- output

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? x.toExponential(2) : x.toFixed(a >= 100 ? 1 : 3);
}

function renderSummary(rows: SummaryRowWire[]): void {
  ui.summary.replaceChildren(
    ...rows.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset['name'] = r.name;
      for (const v of [r.name, fmt(r.mean), fmt(r.sd), fmt(r.q5), fmt(r.q50), fmt(r.q95)]) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.append(td);
      }
      tr.dataset['mean'] = String(r.mean);
      tr.dataset['sd'] = String(r.sd);
      return tr;
    }),
  );
}

function renderPlan(plan: PlanRow[]): void {
  ui.plan.replaceChildren(
    ...(plan.length ? plan : [{ site: '—', estimator: '', reason: 'no optimised stochastic nodes' }]).map((p) => {
      const tr = document.createElement('tr');
      for (const v of [p.site, p.estimator, p.reason]) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.append(td);
      }
      return tr;
    }),
  );
}

function setupCanvas(c: HTMLCanvasElement): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  const w = c.clientWidth || c.width;
  const h = c.clientHeight || c.height;
  c.width = Math.round(w * dpr);
  c.height = Math.round(h * dpr);
  const ctx = c.getContext('2d')!;
  ctx.scale(dpr, dpr);
  ctx.clearRect(0, 0, w, h);
  return ctx;
}

function drawElbo(): void {
  const c = ui.elbo;
  const ctx = setupCanvas(c);
  const w = c.clientWidth || 640;
  const h = c.clientHeight || 200;
  ui.elboLabel.textContent = points.length ? `${points.length} points, last ${fmt(points[points.length - 1]!.smoothedElbo)}` : '';
  if (!points.length) return;
  const pad = { l: 56, r: 10, t: 10, b: 22 };
  // Skip the first point's scale when later points exist: the start is often far below.
  const ys = points.flatMap((p) => [p.elbo, p.smoothedElbo]).filter(Number.isFinite);
  const tail = points.length > 3 ? points.slice(1).flatMap((p) => [p.elbo, p.smoothedElbo]).filter(Number.isFinite) : ys;
  let lo = Math.min(...tail);
  let hi = Math.max(...ys);
  if (hi - lo < 1e-9) (lo -= 1), (hi += 1);
  const xMax = Math.max(points[points.length - 1]!.step, 100);
  const X = (s: number) => pad.l + ((w - pad.l - pad.r) * s) / xMax;
  const Y = (v: number) => pad.t + (h - pad.t - pad.b) * (1 - (Math.max(lo, v) - lo) / (hi - lo));
  ctx.strokeStyle = '#ccd';
  ctx.fillStyle = '#667';
  ctx.font = '11px system-ui';
  ctx.beginPath();
  ctx.moveTo(pad.l, pad.t);
  ctx.lineTo(pad.l, h - pad.b);
  ctx.lineTo(w - pad.r, h - pad.b);
  ctx.stroke();
  ctx.fillText(fmt(hi), 2, pad.t + 8);
  ctx.fillText(fmt(lo), 2, h - pad.b);
  ctx.fillText(`step ${points[points.length - 1]!.step}${maxSteps ? ' / max ' + maxSteps : ''}`, w - 150, h - 6);
  ctx.fillStyle = '#90a4c0';
  for (const p of points) ctx.fillRect(X(p.step) - 1.5, Y(p.elbo) - 1.5, 3, 3);
  ctx.strokeStyle = '#2b6cb0';
  ctx.lineWidth = 2;
  ctx.beginPath();
  points.forEach((p, i) => (i ? ctx.lineTo(X(p.step), Y(p.smoothedElbo)) : ctx.moveTo(X(p.step), Y(p.smoothedElbo))));
  ctx.stroke();
}

function renderHistograms(hists: { name: string; draws: number[] }[], summary: SummaryRowWire[]): void {
  ui.histograms.replaceChildren(
    ...hists.map((hd) => {
      const fig = document.createElement('figure');
      fig.dataset['name'] = hd.name;
      const canvas = document.createElement('canvas');
      const cap = document.createElement('figcaption');
      const row = summary.find((r) => r.name === hd.name);
      cap.textContent = `${hd.name}${row ? `  mean ${fmt(row.mean)}  sd ${fmt(row.sd)}` : ''}`;
      fig.append(canvas, cap);
      requestAnimationFrame(() => drawHistogram(canvas, hd.draws));
      return fig;
    }),
  );
}

function drawHistogram(c: HTMLCanvasElement, xs: number[]): void {
  const ctx = setupCanvas(c);
  const w = c.clientWidth || 180;
  const h = c.clientHeight || 90;
  const sorted = [...xs].sort((a, b) => a - b);
  // Clip the extreme 0.5% on each side so one far draw does not squash the picture.
  const lo = sorted[Math.floor(sorted.length * 0.005)]!;
  const hi = sorted[Math.ceil(sorted.length * 0.995) - 1]!;
  const bins = 30;
  const counts = new Array<number>(bins).fill(0);
  const width = hi > lo ? (hi - lo) / bins : 1;
  for (const x of xs) {
    if (x < lo || x > hi) continue;
    counts[Math.min(bins - 1, Math.floor((x - lo) / width))]!++;
  }
  const top = Math.max(...counts, 1);
  ctx.fillStyle = '#2b6cb0';
  const bw = w / bins;
  counts.forEach((n, i) => ctx.fillRect(i * bw + 0.5, h - 14 - ((h - 16) * n) / top, bw - 1, ((h - 16) * n) / top));
  ctx.fillStyle = '#667';
  ctx.font = '10px system-ui';
  ctx.fillText(fmt(lo), 0, h - 2);
  const label = fmt(hi);
  ctx.fillText(label, w - ctx.measureText(label).width, h - 2);
}

// ---------------------------------------------------------------- wiring

function loadModel(name: string): void {
  const m = MODELS.find((x) => x.name === name) ?? MODELS[0]!;
  ui.select.value = m.name;
  ui.fileName.textContent = `${m.name}.tilde`;
  modelEditor.text = m.source;
  dataEditor.text = m.data;
  ui.summary.replaceChildren();
  ui.histograms.replaceChildren();
  ui.fitInfo.textContent = '';
  points = [];
  drawElbo();
  scheduleCheck();
}

for (const m of MODELS) ui.select.add(new Option(m.name, m.name));
ui.select.addEventListener('change', () => loadModel(ui.select.value));
ui.model.addEventListener('input', scheduleCheck);
ui.fit.addEventListener('click', startFit);
ui.stop.addEventListener('click', () => {
  if (fitting) {
    send({ type: 'stop', id: fitId });
    setStatus('stopping…');
  }
});
document.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') startFit();
});
for (const tab of document.querySelectorAll<HTMLButtonElement>('.tabs [role=tab]')) {
  tab.addEventListener('click', () => {
    for (const t of document.querySelectorAll<HTMLButtonElement>('.tabs [role=tab]')) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      ($(`#${t.dataset['panel']}`) as HTMLElement).hidden = !on;
    }
  });
}
window.addEventListener('resize', () => drawElbo());

const fromHash = decodeURIComponent(location.hash.slice(1));
loadModel(MODELS.some((m) => m.name === fromHash) ? fromHash : DEFAULT_MODEL);

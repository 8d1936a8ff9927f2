// Messages between the playground page (main.ts) and its fit worker (worker.ts).
// Plain JSON-safe values only: they cross postMessage's structured clone.

import type { FitOptions } from '../../index.js';

export interface WireDiagnostic {
  severity: 'error' | 'warning';
  message: string;
  /** 'model', 'data' or 'query': which pane the problem is in. */
  pane: 'model' | 'data';
  file: string;
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  /** The rendered `file:line:col: message` with the caret line. */
  rendered: string;
}

export interface FitSettings {
  /** A browser has no native TensorFlow: the compiled step (js), or a tfjs backend of the page's. */
  backend: Exclude<Required<FitOptions>['backend'], 'tensorflow'>;
  steps: number;
  particles: number;
  seed: number;
  guide: Required<FitOptions>['guide'];
}

export type ToWorker =
  | { type: 'check'; id: number; source: string; file: string }
  | { type: 'fit'; id: number; source: string; file: string; dataText: string; dataFile: string; settings: FitSettings }
  | { type: 'stop'; id: number };

export interface PlanRow {
  site: string;
  estimator: string;
  reason: string;
}

export interface SummaryRowWire {
  name: string;
  mean: number;
  sd: number;
  q5: number;
  q50: number;
  q95: number;
}

export interface ProgressWire {
  step: number;
  elbo: number;
  smoothedElbo: number;
  stepsPerSecond: number;
  phase: string;
  maxSteps: number;
}

export type FromWorker =
  | { type: 'ready'; wasm: boolean; wasmReason: string }
  | { type: 'checked'; id: number; ok: boolean; diagnostics: WireDiagnostic[]; plan: PlanRow[]; mode: string }
  | { type: 'started'; id: number; backend: string }
  | { type: 'progress'; id: number; progress: ProgressWire }
  | {
      type: 'done';
      id: number;
      summary: SummaryRowWire[];
      plan: PlanRow[];
      /** Draws of each scalar latent, for its histogram. */
      histograms: { name: string; draws: number[] }[];
      elboTrace: number[];
      /** `tfjs`: the tfjs backend loaded in the worker, null while none is (a fit compiled to JavaScript loads none). */
      diagnostics: { backend: string; tfjs: string | null; steps: number; seconds: number; stopped: string; elbo: number; khat: number | null; khatReading: string; warnings: string[] };
    }
  | { type: 'failed'; id: number; message: string; diagnostics: WireDiagnostic[] };

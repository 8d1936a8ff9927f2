// TensorFlow.js, loaded only when something runs on its kernels: the tfjs
// lowering of a step (compile/lower-tfjs.ts), its trainer and the draws made in
// passes on a tfjs backend. The model code never sees it: it computes with the
// eager tensors of tensor/ (backend.ts). A fit on the JavaScript lowering never
// loads this module's import, which is most of a short run's start-up.
import type * as TF from '@tensorflow/tfjs';
import { TFJS_BACKENDS, type BackendName } from './backend-names.js';
import { fastWasmSlices } from './wasm-kernels.js';
import type { ProductKernel } from './tensor/run.js';

export type { TF, BackendName };

let loaded: typeof TF | undefined;

/** tfjs, once loadTfjs has run; code that runs tfjs kernels is only reached after it. */
export function realTf(): typeof TF {
  if (!loaded) throw new Error('internal: tfjs used before it was loaded (loadTfjs)');
  return loaded;
}

/** Whether tfjs has been loaded in this process. */
export function tfjsLoaded(): boolean {
  return loaded !== undefined;
}

/** Imports tfjs (the umbrella: only it registers the kernels' gradients) once. */
export async function loadTfjs(): Promise<typeof TF> {
  if (!loaded) {
    const m = (await import('@tensorflow/tfjs')) as typeof TF & { default?: typeof TF };
    const tf = m.default !== undefined && 'tensor' in m.default ? m.default : m;
    // Production mode: no debug-only checks, and no console banner urging tfjs-node
    // (which cannot install on many machines) every time the cpu backend starts.
    tf.enableProdMode();
    loaded = tf;
  }
  return loaded;
}


/** Preference order for 'auto'; webgl is only used when asked for by name. */
const AUTO_ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];
const ALL: readonly BackendName[] = TFJS_BACKENDS;

// Held in a variable so that bundlers and the type checker do not try to
// resolve an optional dependency that is usually absent.
const TFJS_NODE = '@tensorflow/tfjs-node';

let wasmPrefix: string | undefined;
const loadErrors = new Map<BackendName, string>();

/**
 * Browsers serve the .wasm binaries from wherever the app puts them; the
 * prefix is applied when the wasm backend is first loaded (it cannot change
 * after initialisation). Node finds the binaries next to the package.
 */
export function configureWasmPaths(prefix: string): void {
  wasmPrefix = prefix;
}

async function loadModule(name: BackendName): Promise<boolean> {
  const tf = await loadTfjs();
  try {
    switch (name) {
      case 'tensorflow':
        await import(/* @vite-ignore */ TFJS_NODE);
        break;
      case 'wasm': {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        // A bundler that wraps the package's CommonJS build puts its exports under `default`.
        const setWasmPaths = wasm.setWasmPaths ?? (wasm as unknown as { default?: typeof wasm }).default?.setWasmPaths;
        if (wasmPrefix !== undefined && tf.findBackend('wasm') === null) setWasmPaths(wasmPrefix);
        fastWasmSlices(tf);
        break;
      }
      case 'cpu':
      case 'webgl':
        break; // registered by the umbrella
    }
  } catch (e) {
    loadErrors.set(name, e instanceof Error ? e.message.split('\n')[0] : String(e));
    return false;
  }
  return tf.findBackendFactory(name) !== null || tf.findBackend(name) !== null;
}

/** Loads the backend's package and initialises it; false when either fails. */
async function tryActivate(name: BackendName): Promise<boolean> {
  if (!(await loadModule(name))) return false;
  const tf = realTf();
  try {
    // setBackend reports a failed initialisation by returning false, but some
    // backends (webgl without a GPU context) throw instead.
    return await tf.setBackend(name);
  } catch (e) {
    loadErrors.set(name, e instanceof Error ? e.message.split('\n')[0] : String(e));
    return false;
  }
}

function isBackendName(s: string): s is BackendName {
  return (ALL as readonly string[]).includes(s);
}

function envRequest(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.TILDE_BACKEND?.trim();
  return value === '' ? undefined : value;
}

async function availableBackends(): Promise<BackendName[]> {
  const tf = await loadTfjs();
  const found: BackendName[] = [];
  for (const name of ALL) {
    // webgl's factory is registered everywhere but only works with a GPU context.
    if (name === 'webgl' && (globalThis as { WebGLRenderingContext?: unknown }).WebGLRenderingContext === undefined) continue;
    if (tf.findBackend(name) !== null || (await loadModule(name))) found.push(name);
  }
  return found;
}

// Backend switches are serialised: two concurrent selections must not
// interleave their setBackend calls.
let queue: Promise<unknown> = Promise.resolve();
// Remembered so that a repeated 'auto' does not retry the backends that failed.
let autoChoice: BackendName | undefined;
// The last backend asked for by name: a later fit without a backend option keeps it.
let chosen: BackendName | undefined;

/**
 * Makes a backend active and returns its name. An explicit request (or
 * TILDE_BACKEND) must succeed or this throws; 'auto' takes the first of
 * tensorflow > wasm > cpu that initialises. Calling it again is cheap.
 */
export function selectBackend(request: BackendName | 'auto' = 'auto'): Promise<BackendName> {
  const run = queue.then(() => select(request));
  queue = run.catch(() => undefined);
  return run;
}

/**
 * Which engine runs a fit's step: 'js' (compiled, asked for by the option or TILDE_BACKEND=js),
 * 'tfjs' (a tfjs backend named by the option or TILDE_BACKEND), or 'auto' (compiled when possible).
 */
export function engineRequest(request?: BackendName | 'auto' | 'js'): 'js' | 'tfjs' | 'auto' {
  if (request === 'js') return 'js';
  if (request !== undefined && request !== 'auto') return 'tfjs';
  const env = envRequest();
  if (env === 'js') return 'js';
  return env === undefined || env === 'auto' ? 'auto' : 'tfjs';
}

async function select(request: BackendName | 'auto'): Promise<BackendName> {
  const tf = await loadTfjs();
  let wanted: string = request;
  if (request === 'auto') wanted = envRequest() ?? 'auto';
  // TILDE_BACKEND=js names the compiled engine; tfjs's own work then takes the automatic backend.
  if (wanted === 'js' && request === 'auto') wanted = 'auto';
  if (wanted === 'auto') {
    if (autoChoice !== undefined && tf.getBackend() === autoChoice) return autoChoice;
    for (const name of AUTO_ORDER) {
      if (await tryActivate(name)) return (autoChoice = name);
    }
    throw new Error('no TensorFlow.js backend could be initialised (tried tensorflow, wasm, cpu)');
  }
  // RangeError: a backend option or TILDE_BACKEND value the machine cannot honour is
  // the user's to fix (the CLI reports it as a usage error, not as a bug).
  if (!isBackendName(wanted)) {
    throw new RangeError(`unknown backend '${wanted}'${request === 'auto' ? ' in TILDE_BACKEND' : ''}; expected one of ${ALL.join(', ')} or auto`);
  }
  if (tf.getBackend() === wanted) return (chosen = wanted);
  if (await tryActivate(wanted)) return (chosen = wanted);
  const reason = loadErrors.get(wanted);
  const available = (await availableBackends()).filter((b) => b !== wanted);
  throw new RangeError(
    `backend '${wanted}' is not available here${reason ? ` (${reason})` : ''}; available: ${available.join(', ') || 'none'}`,
  );
}

/**
 * The backend for a fit: the one requested; else the one last chosen by name (or
 * TILDE_BACKEND) while it is still active; else `preferred` (the engine's choice for
 * the model's size) when it loads; else 'auto'.
 */
export async function useBackend(request?: BackendName | 'auto', preferred?: BackendName): Promise<BackendName> {
  if (request !== undefined) return selectBackend(request);
  const tf = await loadTfjs();
  if (chosen !== undefined && tf.getBackend() === chosen) return chosen;
  if (envRequest() !== undefined && envRequest() !== 'js') return selectBackend('auto');
  if (preferred !== undefined) {
    try {
      const got = await selectBackend(preferred);
      chosen = undefined; // an engine preference is not the user's choice
      return got;
    } catch {
      // fall through to the automatic order
    }
  }
  return selectBackend('auto');
}

/**
 * The backend tfjs is using now; undefined while tfjs has not been loaded (nothing has run on its
 * kernels: a fit on the JavaScript lowering does not load it).
 */
export function activeBackend(): BackendName | undefined {
  if (!loaded) return undefined;
  const name = loaded.getBackend();
  if (!isBackendName(name)) throw new Error(`tfjs is running on an unexpected backend '${name}'`);
  return name;
}

/**
 * tfjs's namespace for the modules that run its kernels (the tfjs lowering, its step and trainer):
 * each property is looked up on tfjs once it is loaded, so importing those modules loads nothing.
 */
export const tfjs: typeof TF = new Proxy({} as typeof TF, {
  get: (_, key) => (realTf() as unknown as Record<string | symbol, unknown>)[key],
});

/**
 * Large matrix products on tfjs's kernels of the active backend (float32), for the eager work
 * around a step that runs on them (tensor/run.ts, withProducts). Undefined on tfjs's cpu backend,
 * whose products are no faster than the interpreter's.
 */
export function tfjsProducts(): ProductKernel | undefined {
  const tf = realTf();
  if (tf.getBackend() === 'cpu') return undefined;
  return (a, aShape, b, bShape, ta, tb) => {
    let out: Float64Array | undefined;
    // The values leave the tidy through a variable: tidy walks what it returns, element by element.
    tf.tidy(() => {
      out = Float64Array.from(tf.matMul(tf.tensor(Float32Array.from(a), aShape.slice()), tf.tensor(Float32Array.from(b), bShape.slice()), ta, tb).dataSync());
    });
    return out!;
  };
}

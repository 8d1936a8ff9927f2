import { activeBackend, configureWasmPaths, selectBackend } from '../../index.js';

// In a browser, say where the wasm binaries are served before the first wasm use:
if (typeof window !== 'undefined') configureWasmPaths('/wasm/');

// selectBackend('wasm' | 'cpu' | 'webgl' | 'tensorflow' | 'auto') activates a TensorFlow.js
// backend (an explicit name must succeed or it throws); fits run on the active one unless their
// `backend` option says otherwise.
const chosen = await selectBackend('cpu');
console.log(chosen, activeBackend()); // cpu cpu

let unavailable = '';
try {
  await selectBackend('webgl'); // no GPU context in Node
} catch (e) {
  unavailable = (e as Error).message;
}
console.log(unavailable); // backend 'webgl' is not available here …; available: …

export const result = { chosen, active: activeBackend(), unavailable };

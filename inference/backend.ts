// The tensors inference/ computes with: the eager library of tensor/, shaped as
// tfjs's namespace, so model code reads `tf.add(a, b)` whichever engine runs the
// step it records. Real tfjs is imported only when its kernels are wanted (tfjs.ts).
import * as tf from './tensor/index.js';

export { tf };
export { selectBackend, useBackend, activeBackend, engineRequest, configureWasmPaths, loadTfjs, realTf, tfjsLoaded, type BackendName } from './tfjs.js';

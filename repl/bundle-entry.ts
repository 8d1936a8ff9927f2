// What the bundled CLI (scripts/bundle-cli.mjs) exposes to bin/tilde.js: the program,
// and the wasm binaries' location, which a bundle can no longer find next to itself.
export { main } from './cli.js';
export { configureWasmPaths } from '../inference/backend.js';

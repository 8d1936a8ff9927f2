// What the bundled CLI (scripts/bundle-cli.mjs) exposes: the program for bin/tilde.js,
// the wasm binaries' location (a bundle can no longer find them next to itself), and
// compile, so that bench/peers measures the start-up a `tilde` user gets.
export { main } from './cli.js';
export { compile, configureWasmPaths } from '../index.js';

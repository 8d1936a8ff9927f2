#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm ci builds it through `prepare`).
import { main } from '../dist/repl/cli.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});

// `tilde/node`: the package API plus what only Node can do — reading model and data files.

export * from './index.js';
export { readDataFile, defaultDataFile, readText } from './repl/files.js';

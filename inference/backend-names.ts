// The tfjs backends tilde knows, apart from backend.ts (which loads tfjs) so that the option
// table, the CLI and the playground can name them before, or without, loading it.

export const TFJS_BACKENDS = ['tensorflow', 'wasm', 'cpu', 'webgl'] as const;
export type BackendName = (typeof TFJS_BACKENDS)[number];

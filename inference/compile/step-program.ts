// The program a compiled step runs, before it is lowered: the traced loss with its
// reverse-mode gradient w.r.t. every parameter slot (grad.ts) and the state the
// step carries, simplified once. Both lowerings (step-js.ts, step-tfjs.ts) run
// this same program, and the choice between them is made on it (ir.ts's
// productWork) without lowering it twice.

import { grad } from './grad.js';
import type { Program } from './ir.js';
import { simplify } from './simplify.js';
import type { Trace } from './trace.js';

export interface StepProgram {
  program: Program;
  /** A traced node's id in `program`. */
  id: (traced: number) => number;
  loss: number;
  value: number;
  /** One gradient node per parameter slot, in the trace's order. */
  grads: number[];
  /** For each state slot that the step assigns, the node of its new value (trace order). */
  updates: number[];
  /** Node counts after reverse mode and after simplification. */
  before: number;
  after: number;
}

/** The outputs a step reads: loss, reported value, the slots' gradients, the state's updates. */
export function stepOutputs(s: StepProgram): number[] {
  return [s.loss, s.value, ...s.grads, ...s.updates];
}

/** `simplify: false` keeps reverse mode's program as it is (the test that the pass changes no value). */
export function stepProgram(trace: Trace, o: { simplify?: boolean } = {}): StepProgram {
  const d = grad(trace.program, trace.loss, trace.params);
  const simple = o.simplify === false ? { program: d.program, id: (k: number) => k, before: d.program.nodes.length, after: d.program.nodes.length } : simplify(d.program);
  const id = simple.id;
  return {
    program: simple.program,
    id,
    loss: id(trace.loss),
    value: id(trace.value),
    grads: d.grads.map(id),
    updates: trace.state.filter((st) => st.update !== st.id).map((st) => id(st.update)),
    before: simple.before,
    after: simple.after,
  };
}

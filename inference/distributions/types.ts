import type { tf } from '../backend.js';

/** Parameters by their canonical names in language/distributions.ts (Bernoulli gets exactly one of probs/logits). */
export type Params = Record<string, tf.Tensor>;

export interface Distribution {
  readonly family: string;
  /** log density / mass of x, broadcasting x against the parameters; Categorical and Dirichlet reduce the parameters' last dim (K). Result shape = broadcast batch shape. */
  logProb(x: tf.Tensor): tf.Tensor;
  /** a draw of the given batch shape (params broadcast to it; Dirichlet appends K); no gradient. */
  sample(shape: number[], seed: number): tf.Tensor;
  /** reparameterised draw, differentiable in the parameters (only where the family table says reparam). */
  rsample?(shape: number[], seed: number): tf.Tensor;
  mean(): tf.Tensor;
}

/** Categorical also scores one-hot or relaxed (simplex-valued) draws, for RELAX and concrete. */
export interface CategoricalDistribution extends Distribution {
  /** Σₖ xₖ log pₖ over the last dim of x; smooth in x. */
  logProbOneHot(x: tf.Tensor): tf.Tensor;
}

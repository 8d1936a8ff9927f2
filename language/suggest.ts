// "Did you mean …?" for unknown names, functions, families, arguments and estimators.

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent transpositions cost 1. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

/**
 * The closest candidate within edit distance 2, or one that the name is a prefix of (or that is a
 * prefix of the name). A one-letter name is not "close" to every other one-letter name: the
 * distance must also be smaller than the longer of the two names.
 */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    if (c === name) continue;
    let score = editDistance(name, c);
    // Case slips ('normal' for 'Normal') are the most likely typo of all.
    if (c.toLowerCase() === lower) score = 0.5;
    const ok = (score <= 2 && score < Math.max(name.length, c.length)) || (name.length >= 2 && (c.startsWith(name) || name.startsWith(c)) && c.length >= 2);
    if (!ok) continue;
    if (score > 2) score = 2.5; // prefix matches rank after close typos
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/** " (did you mean 'x'?)", or '' when nothing is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const s = suggest(name, candidates);
  return s === undefined ? '' : ` (did you mean '${s}'?)`;
}

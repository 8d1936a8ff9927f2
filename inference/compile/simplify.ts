// A simplifying pass over a program, run after reverse mode and before lowering:
// the trace and the derivative rules are written for clarity, one kernel or rule
// at a time, so the same product is often computed twice (a square's two
// cotangent halves), constants of equal value appear many times, and gathers
// follow gathers (a slice of a transpose of a broadcast). Here equal nodes are
// shared (common subexpressions), a gather of a gather becomes one gather
// through the composed index map, and arithmetic identities that hold for every
// float64 value (x − 0, x·1, x/1, −(−x)) are removed, and so is x + 0, exact but for the sign of
// a zero (−0 + 0 is +0; the two compare equal and add alike, and the step never divides by a
// gradient's zero). The lowered step gives the same bits with or without this pass (a test checks
// five models); dropping x + 0 would cost 5–6 % of the RELAX toy's and eight schools' step rate.

import { argsOf, sizeOf, type Node, type Program } from './ir.js';

export interface Simplified {
  program: Program;
  /** The new id of each old node. */
  id: (old: number) => number;
  /** Nodes before and after (for the IR statistics). */
  before: number;
  after: number;
}

/** FNV-1a over the values of an index map or a constant, for the table of nodes seen. */
function hashArray(a: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < a.length; i++) {
    // Constants are float64: mix their value, not just an integer part.
    const v = a[i]!;
    const x = Number.isInteger(v) ? v | 0 : Math.floor(v * 1e9) ^ Math.floor(v);
    h = Math.imul(h ^ (x & 0xff), 16777619);
    h = Math.imul(h ^ ((x >>> 8) & 0xff), 16777619);
    h = Math.imul(h ^ ((x >>> 16) & 0xffff), 16777619);
  }
  return (h ^ a.length) >>> 0;
}

function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** The part of a node that decides its value besides its arguments (maps and constants compared apart). */
function attrKey(n: Node): string {
  switch (n.op) {
    case 'matmul':
      return `${n.batch},${n.m},${n.k},${n.n},${n.ta ? 1 : 0},${n.tb ? 1 : 0}`;
    case 'take':
    case 'put':
      return `${n.outer},${n.n},${n.inner}`;
    case 'const':
    case 'gather':
    case 'scatterAdd':
    case 'segmentMax':
    case 'segmentMin':
      return String(hashArray(n.op === 'const' ? n.value : n.map));
    default:
      return '';
  }
}

const payload = (n: Node): ArrayLike<number> | undefined =>
  n.op === 'const' ? n.value : n.op === 'gather' || n.op === 'scatterAdd' || n.op === 'segmentMax' || n.op === 'segmentMin' ? n.map : undefined;

/** Ops that must never be shared: each is its own input. */
const UNIQUE = new Set(['param', 'state', 'noise', 'input']);

const isIdentityMap = (map: Int32Array, from: number) => map.length === from && map.every((v, i) => v === i);

export function simplify(p: Program): Simplified {
  const out: Node[] = [];
  const newId = new Int32Array(p.nodes.length);
  const seen = new Map<string, number[]>();

  const constValue = (id: number): Float64Array | undefined => {
    const n = out[id]!;
    return n.op === 'const' ? n.value : undefined;
  };
  const isAll = (id: number, v: number) => {
    const c = constValue(id);
    return c !== undefined && c.every((x) => x === v);
  };
  const size = (id: number) => sizeOf(out[id]!.shape);

  /** Adds `n` (arguments already renumbered), or returns an equal node already there. */
  const intern = (n: Node): number => {
    if (UNIQUE.has(n.op)) {
      out.push(n);
      return out.length - 1;
    }
    const key = `${n.op}|${argsOf(n).join(',')}|${n.shape.join('x')}|${attrKey(n)}`;
    const list = seen.get(key);
    const data = payload(n);
    if (list) {
      for (const id of list) {
        const other = payload(out[id]!);
        if (data === undefined || (other !== undefined && sameArray(data, other))) return id;
      }
    }
    out.push(n);
    const id = out.length - 1;
    if (list) list.push(id);
    else seen.set(key, [id]);
    return id;
  };

  /** A rewrite of `n` to an existing node when an identity applies, else undefined. */
  const rewrite = (n: Node): number | undefined => {
    const outSize = sizeOf(n.shape);
    // An argument that already has the node's size can stand for it (the flat buffer is the same).
    const asIs = (x: number) => (size(x) === outSize ? x : undefined);
    switch (n.op) {
      case 'add':
        if (isAll(n.args[1], 0)) return asIs(n.args[0]);
        if (isAll(n.args[0], 0)) return asIs(n.args[1]);
        return undefined;
      case 'sub':
        return isAll(n.args[1], 0) ? asIs(n.args[0]) : undefined;
      case 'mul':
        if (isAll(n.args[1], 1)) return asIs(n.args[0]);
        if (isAll(n.args[0], 1)) return asIs(n.args[1]);
        return undefined;
      case 'div':
        return isAll(n.args[1], 1) ? asIs(n.args[0]) : undefined;
      case 'neg': {
        const x = out[n.args[0]]!;
        return x.op === 'neg' ? x.args[0] : undefined;
      }
      case 'gather':
        return isIdentityMap(n.map, size(n.args[0])) ? n.args[0] : undefined;
      case 'scatterAdd':
        return isIdentityMap(n.map, outSize) && size(n.args[0]) === outSize ? n.args[0] : undefined;
      default:
        return undefined;
    }
  };

  p.nodes.forEach((orig, i) => {
    let n: Node = 'args' in orig ? ({ ...orig, args: orig.args.map((a) => newId[a]!) } as Node) : orig;
    // A gather of a gather reads the first one's input through the composed map.
    if (n.op === 'gather') {
      const inner = out[n.args[0]]!;
      if (inner.op === 'gather') {
        const map = new Int32Array(n.map.length);
        for (let k = 0; k < map.length; k++) {
          const j = n.map[k]!;
          map[k] = j < 0 ? -1 : inner.map[j]!;
        }
        n = { op: 'gather', shape: n.shape, args: [inner.args[0]], map };
      }
    }
    newId[i] = rewrite(n) ?? intern(n);
  });

  const outputs: Record<string, number> = {};
  for (const [k, v] of Object.entries(p.outputs)) outputs[k] = newId[v]!;
  return { program: { nodes: out, outputs }, id: (old) => newId[old]!, before: p.nodes.length, after: out.length };
}

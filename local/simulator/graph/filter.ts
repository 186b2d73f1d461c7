/**
 * A small OData $filter parser/evaluator covering what the project uses against Graph: eq/ne/gt/ge/lt/le/in,
 * and/or/not, startswith/endswith, lambda any/all over collections (e.g. assignedPlans/any(a:a/servicePlanId eq ...)),
 * and /$count comparisons. It also reports which "advanced query" features a filter uses.
 */

type Tok = { t: 'str'; v: string } | { t: 'word'; v: string } | { t: 'p'; v: '(' | ')' | ',' | ':' };

export class FilterError extends Error {}

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new FilterError('unterminated string literal');
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i];
        i++;
      }
      out.push({ t: 'str', v: s });
      continue;
    }
    if (c === '(' || c === ')' || c === ',' || c === ':') {
      out.push({ t: 'p', v: c });
      i++;
      continue;
    }
    const m = /^[A-Za-z0-9_$@.+-]+(?:\/[A-Za-z0-9_$@.-]+)*/.exec(src.slice(i));
    if (!m) throw new FilterError(`unexpected character '${c}' at position ${i}`);
    out.push({ t: 'word', v: m[0] });
    i += m[0].length;
  }
  return out;
}

type Scope = Record<string, unknown>;
type Ev = (root: unknown, scope: Scope) => unknown;

export interface ParsedFilter {
  test: (item: unknown) => boolean;
  features: Set<'ne' | 'not' | 'endswith' | 'lambda' | 'count' | 'in'>;
  /** collections used in lambda expressions, e.g. "assignedPlans" */
  lambdaCollections: Set<string>;
}

const COMPARE = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

export function parseFilter(src: string): ParsedFilter {
  const toks = tokenize(src);
  let pos = 0;
  const features: ParsedFilter['features'] = new Set();
  const lambdaCollections = new Set<string>();
  const peek = () => toks[pos];
  const isWord = (v: string) => {
    const t = peek();
    return !!t && t.t === 'word' && t.v.toLowerCase() === v;
  };
  const expectP = (v: string) => {
    const t = toks[pos];
    if (!t || t.t !== 'p' || t.v !== v) throw new FilterError(`expected '${v}'`);
    pos++;
  };

  function resolvePath(path: string[], root: unknown, scope: Scope): unknown {
    let cur: unknown;
    let rest = path;
    if (path[0] !== undefined && Object.prototype.hasOwnProperty.call(scope, path[0])) {
      cur = scope[path[0]];
      rest = path.slice(1);
    } else cur = root;
    for (const seg of rest) {
      if (cur === null || cur === undefined) return undefined;
      if (seg === '$count') return Array.isArray(cur) ? cur.length : 0;
      cur = (cur as Record<string, unknown>)[seg];
    }
    return cur;
  }

  function literalOrPath(word: string): Ev {
    const lower = word.toLowerCase();
    if (lower === 'true') return () => true;
    if (lower === 'false') return () => false;
    if (lower === 'null') return () => null;
    if (/^-?\d+(\.\d+)?$/.test(word)) return () => Number(word);
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(word)) return () => word;
    const segs = word.split('/');
    if (segs.includes('$count')) features.add('count');
    return (root, scope) => resolvePath(segs, root, scope);
  }

  function operand(): Ev {
    const t = toks[pos];
    if (!t) throw new FilterError('unexpected end of filter');
    if (t.t === 'str') {
      pos++;
      return () => t.v;
    }
    if (t.t === 'p' && t.v === '(') {
      pos++;
      const e = orExpr();
      expectP(')');
      return e;
    }
    if (t.t !== 'word') throw new FilterError(`unexpected '${t.v}'`);
    pos++;
    const next = toks[pos];
    const lower = t.v.toLowerCase();
    // function call
    if (next && next.t === 'p' && next.v === '(' && ['startswith', 'endswith', 'contains'].includes(lower)) {
      pos++;
      const a = operand();
      expectP(',');
      const b = operand();
      expectP(')');
      if (lower === 'endswith') features.add('endswith');
      return (root, scope) => {
        const x = a(root, scope);
        const y = b(root, scope);
        if (typeof x !== 'string' || typeof y !== 'string') return false;
        const xs = x.toLowerCase();
        const ys = y.toLowerCase();
        return lower === 'startswith' ? xs.startsWith(ys) : lower === 'endswith' ? xs.endsWith(ys) : xs.includes(ys);
      };
    }
    // lambda
    const lambda = /^(.*)\/(any|all)$/i.exec(t.v);
    if (lambda && next && next.t === 'p' && next.v === '(') {
      pos++;
      const collPath = lambda[1]!.split('/');
      const kind = lambda[2]!.toLowerCase();
      features.add('lambda');
      lambdaCollections.add(collPath[collPath.length - 1]!);
      const v = toks[pos];
      if (!v || v.t !== 'word') throw new FilterError('expected lambda variable');
      pos++;
      expectP(':');
      const body = orExpr();
      expectP(')');
      return (root, scope) => {
        const coll = resolvePath(collPath, root, scope);
        if (!Array.isArray(coll)) return false;
        const f = (item: unknown) => !!body(root, { ...scope, [v.v]: item });
        return kind === 'any' ? coll.some(f) : coll.every(f);
      };
    }
    return literalOrPath(t.v);
  }

  function comparison(): Ev {
    const left = operand();
    const t = peek();
    if (t && t.t === 'word' && COMPARE.has(t.v.toLowerCase())) {
      pos++;
      const op = t.v.toLowerCase();
      if (op === 'ne') features.add('ne');
      const right = operand();
      return (root, scope) => compare(op, left(root, scope), right(root, scope));
    }
    if (t && t.t === 'word' && t.v.toLowerCase() === 'in') {
      pos++;
      features.add('in');
      expectP('(');
      const items: Ev[] = [operand()];
      while (peek()?.t === 'p' && (peek() as { v: string }).v === ',') {
        pos++;
        items.push(operand());
      }
      expectP(')');
      return (root, scope) => {
        const l = left(root, scope);
        return items.some((i) => compare('eq', l, i(root, scope)));
      };
    }
    return left;
  }

  function unary(): Ev {
    if (isWord('not')) {
      pos++;
      features.add('not');
      const e = unary();
      return (root, scope) => !e(root, scope);
    }
    return comparison();
  }

  function andExpr(): Ev {
    let left = unary();
    while (isWord('and')) {
      pos++;
      const l = left;
      const r = unary();
      left = (root, scope) => !!l(root, scope) && !!r(root, scope);
    }
    return left;
  }

  function orExpr(): Ev {
    let left = andExpr();
    while (isWord('or')) {
      pos++;
      const l = left;
      const r = andExpr();
      left = (root, scope) => !!l(root, scope) || !!r(root, scope);
    }
    return left;
  }

  const ev = orExpr();
  if (pos !== toks.length) throw new FilterError(`unexpected '${(toks[pos] as { v: string }).v}'`);
  return { test: (item) => !!ev(item, {}), features, lambdaCollections };
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    switch (op) {
      case 'eq':
        return x === y;
      case 'ne':
        return x !== y;
      case 'gt':
        return x > y;
      case 'ge':
        return x >= y;
      case 'lt':
        return x < y;
      default:
        return x <= y;
    }
  }
  switch (op) {
    case 'eq':
      return a === b || (a === undefined && b === null);
    case 'ne':
      return !(a === b || (a === undefined && b === null));
    case 'gt':
      return (a as number) > (b as number);
    case 'ge':
      return (a as number) >= (b as number);
    case 'lt':
      return (a as number) < (b as number);
    default:
      return (a as number) <= (b as number);
  }
}

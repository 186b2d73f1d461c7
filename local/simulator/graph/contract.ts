/**
 * Checks incoming Graph requests against Microsoft's contract subset, which the repository carries in
 * `local/simulator/graph/contract/graph-subset.json` (see the README there for its provenance): path (or alias), method,
 * query options, header values and request bodies (required properties, no unknown properties, enum values) — the
 * bodies through the subset's OpenAPI documents compiled with Ajv. The checks are always on: a missing or unreadable
 * contract file makes loading throw.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { ValidateFunction, ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { findRepoRoot } from '../util';

interface SubsetOperation {
  version: string;
  method: string;
  path: string;
  aliases: string[];
  pathParams: string[];
  queryOptions: string[];
  headers: string[];
  requestBody: { required: string[]; additionalProperties: boolean; properties: Record<string, string> } | null;
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<string, { parameters?: Array<Record<string, unknown>>; requestBody?: { content?: Record<string, { schema?: unknown }> } }>
  >;
  components: Record<string, Record<string, unknown>>;
}

export interface ContractOperation {
  version: string;
  method: string;
  path: string;
  templates: RegExp[];
  queryOptions: Set<string>;
  headerValues: Map<string, string[]>;
  bodySchema?: unknown;
  bodyValidator?: ValidateFunction;
  paramValidators: Map<string, ValidateFunction>;
  paramKinds: Map<string, 'array' | 'integer' | 'boolean' | 'string'>;
  openapi: OpenApiDoc;
}

export interface ContractProblem {
  rule: string;
  message: string;
}

export type MatchResult =
  | { kind: 'match'; op: ContractOperation; params: Record<string, string> }
  | { kind: 'wrong-method'; allowed: string[] }
  | { kind: 'unknown-path' };

/**
 * The repository's copy of the contract subset. Resolved from the repository root (not `__dirname`) so that the
 * compiled simulator under dist/ reads the same file: tsc does not copy JSON that is not imported.
 */
export function contractFile(): string {
  return path.join(findRepoRoot(), 'local', 'simulator', 'graph', 'contract', 'graph-subset.json');
}

function templateToRegex(template: string): RegExp {
  let re = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c === '{') {
      const end = template.indexOf('}', i);
      re += "([^/,)']+)";
      i = end + 1;
      continue;
    }
    re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    i++;
  }
  return new RegExp(`^${re}$`, 'i');
}

/** Turns key-as-parentheses segments (operations('abc')) into key-as-segment form (operations/abc). */
export function normalizeGraphPath(p: string): string {
  return p.replace(/\/([A-Za-z]+)\('([^'=,]*)'\)/g, '/$1/$2').replace(/\/+$/, '') || '/';
}

export class GraphContract {
  private readonly ops: ContractOperation[] = [];
  readonly source: string;

  private constructor(file: string, subset: { operations: SubsetOperation[]; openapi: Record<string, OpenApiDoc> }) {
    this.source = file;
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(ajv);
    for (const f of [
      'int32',
      'int64',
      'double',
      'float',
      'byte',
      'binary',
      'base64url',
      'duration',
      'decimal',
      'int8',
      'int16',
      'uint8',
      'date',
      'time',
    ]) {
      if (!ajv.formats[f]) ajv.addFormat(f, true);
    }
    for (const o of subset.operations) {
      const doc = subset.openapi[o.version];
      if (!doc) continue;
      const docOp = doc.paths[o.path]?.[o.method.toLowerCase()];
      const headerValues = new Map<string, string[]>();
      for (const h of o.headers) {
        const [name, value] = h.split('=');
        if (name) headerValues.set(name.toLowerCase(), value ? value.split('|') : []);
      }
      const op: ContractOperation = {
        version: o.version,
        method: o.method.toUpperCase(),
        path: o.path,
        templates: [o.path, ...o.aliases].map(templateToRegex),
        queryOptions: new Set(o.queryOptions.map((q) => q.toLowerCase())),
        headerValues,
        paramValidators: new Map(),
        paramKinds: new Map(),
        openapi: doc,
      };
      const bodySchema = docOp?.requestBody?.content?.['application/json']?.schema;
      if (bodySchema) op.bodySchema = bodySchema;
      for (const p of docOp?.parameters ?? []) {
        const param = resolveRef(doc, p) as { name?: string; in?: string; schema?: Record<string, unknown> };
        if (param.in !== 'query' || !param.name || !param.schema) continue;
        const schema = param.schema;
        const kind =
          schema.type === 'array' ? 'array' : schema.type === 'integer' ? 'integer' : schema.type === 'boolean' ? 'boolean' : 'string';
        op.paramKinds.set(param.name.toLowerCase(), kind);
        op.paramValidators.set(param.name.toLowerCase(), ajv.compile({ ...schema, components: doc.components }));
      }
      if (op.bodySchema) op.bodyValidator = ajv.compile({ ...(op.bodySchema as object), components: doc.components });
      this.ops.push(op);
    }
  }

  /** Loads the subset from `file` (default: the repository's copy); throws if it is missing or unreadable. */
  static load(file: string = contractFile()): GraphContract {
    if (!fs.existsSync(file))
      throw new Error(
        `Graph contract subset not found at ${file}. The repository carries it in local/simulator/graph/contract/ ` +
          '(see the README there); restore it from git rather than running without contract checks.',
      );
    let subset: { operations: SubsetOperation[]; openapi: Record<string, OpenApiDoc> };
    try {
      subset = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof subset;
    } catch (e) {
      throw new Error(`Graph contract subset at ${file} could not be read: ${(e as Error).message}`);
    }
    if (!Array.isArray(subset?.operations) || typeof subset.openapi !== 'object' || subset.openapi === null)
      throw new Error(`Graph contract subset at ${file} has no "operations" list or no "openapi" documents.`);
    const contract = new GraphContract(file, subset);
    if (contract.operationCount === 0) throw new Error(`Graph contract subset at ${file} yielded no operations.`);
    return contract;
  }

  get operationCount(): number {
    return this.ops.length;
  }

  /** `p` is the path after the version segment, e.g. /users/abc. */
  match(version: string, method: string, p: string): MatchResult {
    const normalized = normalizeGraphPath(p);
    const allowed: string[] = [];
    for (const op of this.ops) {
      if (op.version !== version) continue;
      for (const re of op.templates) {
        const m = re.exec(normalized);
        if (!m) continue;
        if (op.method !== method.toUpperCase()) {
          allowed.push(op.method);
          continue;
        }
        return { kind: 'match', op, params: Object.fromEntries(m.slice(1).map((v, i) => [String(i), v])) };
      }
    }
    return allowed.length ? { kind: 'wrong-method', allowed } : { kind: 'unknown-path' };
  }

  check(op: ContractOperation, query: URLSearchParams, headers: Record<string, string>, rawBody: string): ContractProblem[] {
    const problems: ContractProblem[] = [];
    for (const [key, value] of query) {
      if (!key.startsWith('$')) continue;
      const k = key.toLowerCase();
      if (k === '$skiptoken' || k === '$deltatoken') continue;
      if (!op.queryOptions.has(k)) {
        problems.push({ rule: 'query-option', message: `Query option '${key}' is not supported by ${op.method} ${op.path}.` });
        continue;
      }
      const validator = op.paramValidators.get(k);
      if (!validator) continue;
      const kind = op.paramKinds.get(k);
      let v: unknown = value;
      if (kind === 'array')
        v = value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      else if (kind === 'integer') v = /^-?\d+$/.test(value) ? Number(value) : value;
      else if (kind === 'boolean') v = value === 'true' ? true : value === 'false' ? false : value;
      if (!validator(v))
        problems.push({ rule: 'query-value', message: `Invalid value for query option '${key}': ${formatErrors(validator.errors)}` });
    }
    for (const [name, values] of op.headerValues) {
      const got = headers[name];
      if (got !== undefined && values.length && !values.includes(got))
        problems.push({ rule: 'header-value', message: `Header '${name}' must be one of ${values.join(', ')}.` });
    }
    if (op.bodyValidator) {
      if (!rawBody) problems.push({ rule: 'body-required', message: `${op.method} ${op.path} requires a JSON body.` });
      else {
        const ct = headers['content-type'] ?? '';
        if (!ct.toLowerCase().includes('application/json'))
          problems.push({ rule: 'content-type', message: `Content-Type must be application/json, got '${ct}'.` });
        let body: unknown;
        try {
          body = JSON.parse(rawBody);
        } catch (e) {
          problems.push({ rule: 'body-json', message: `The request body is not valid JSON: ${(e as Error).message}` });
          return problems;
        }
        if (!op.bodyValidator(body))
          problems.push({ rule: 'body-schema', message: `Invalid request body: ${formatErrors(op.bodyValidator.errors)}` });
      }
    } else if (rawBody && ['POST', 'PATCH', 'PUT'].includes(op.method)) {
      problems.push({ rule: 'body-unexpected', message: `${op.method} ${op.path} takes no body.` });
    }
    return problems;
  }
}

function resolveRef(doc: OpenApiDoc, obj: Record<string, unknown>): unknown {
  const ref = obj.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return obj;
  let cur: unknown = doc;
  for (const seg of ref.slice(2).split('/')) cur = (cur as Record<string, unknown>)?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  return cur ?? obj;
}

export function formatErrors(errors: ErrorObject[] | null | undefined): string {
  if (!errors?.length) return 'invalid';
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of errors) {
    let msg: string;
    if (e.keyword === 'additionalProperties')
      msg = `property '${(e.params as { additionalProperty: string }).additionalProperty}' does not exist at '${e.instancePath || '/'}'`;
    else if (e.keyword === 'enum')
      msg = `value at '${e.instancePath || '/'}' must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    else if (e.keyword === 'required')
      msg = `required property '${(e.params as { missingProperty: string }).missingProperty}' is missing at '${e.instancePath || '/'}'`;
    else if (e.keyword === 'maxItems') msg = `'${e.instancePath}' has more than ${(e.params as { limit: number }).limit} items`;
    else if (e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
    else msg = `'${e.instancePath || '/'}' ${e.message ?? 'is invalid'}`;
    if (!seen.has(msg)) {
      seen.add(msg);
      out.push(msg);
    }
  }
  return out.join('; ') || 'invalid';
}

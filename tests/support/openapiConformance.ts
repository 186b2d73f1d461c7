/**
 * Every answer of the app's HTTP functions during the tests, checked against the OpenAPI document of the built app:
 * the status is declared for the operation, the headers it declares are sent (and the ETag, Location and
 * x-correlation-id sent are declared), the body has a declared content type and matches its schema. The local host
 * reports each answer before the client reads it (startStack's onHttpResponse), so tests/support/stack.ts fails the
 * test that made the call. The operation is found by its operationId, which is the trigger's function name.
 */
import path from 'node:path';
import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { HttpExchange } from '../../local/host/host';
import { REPO_ROOT } from '../../local/stack';

interface HeaderObject {
  required?: boolean;
  $ref?: string;
}
interface ResponseObject {
  headers?: Record<string, HeaderObject>;
  content?: Record<string, { schema?: unknown }>;
}
interface OperationObject {
  operationId?: string;
  responses: Record<string, ResponseObject>;
}
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OperationObject>>;
  components?: { headers?: Record<string, HeaderObject> };
}

/** Headers the contract speaks about: when sent, the document must declare them. */
const CONTRACT_HEADERS = ['etag', 'location', 'x-correlation-id'];
const DOC_ID = 'urn:teams-voice-sync:openapi';
const pointer = (...parts: string[]): string => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export class Conformance {
  /** One line per mismatch, not yet reported to a test. */
  readonly violations: string[] = [];
  /** The statuses seen per operationId. */
  readonly seen = new Map<string, Set<number>>();
  private readonly operations = new Map<string, { method: string; path: string; op: OperationObject }>();
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocument) {
    addFormats(this.ajv);
    this.ajv.addSchema(document as object, DOC_ID);
    for (const [p, item] of Object.entries(document.paths))
      for (const [method, op] of Object.entries(item))
        if (op.operationId) this.operations.set(op.operationId, { method: method.toUpperCase(), path: p, op });
  }

  /** The document's operation served by a function, if the document has one. */
  operation(functionName: string): { method: string; path: string; op: OperationObject } | undefined {
    return this.operations.get(functionName);
  }

  observe(exchange: HttpExchange): void {
    const found = this.operations.get(exchange.functionName);
    if (!found) return; // not part of the API document (pages, sign-in callbacks, health, the document itself)
    try {
      this.violations.push(...this.check(exchange));
    } catch (err) {
      // Never let the checker change the answer the test gets.
      this.violations.push(`${exchange.method} ${exchange.path} -> ${exchange.status}: the check failed: ${(err as Error).message}`);
    }
    if (!this.seen.has(exchange.functionName)) this.seen.set(exchange.functionName, new Set());
    this.seen.get(exchange.functionName)?.add(exchange.status);
  }

  /** What is wrong with one answer (nothing when it conforms). */
  check(exchange: HttpExchange): string[] {
    const found = this.operations.get(exchange.functionName);
    if (!found) return [];
    const where = `${exchange.method} ${exchange.path} -> ${exchange.status} (${exchange.functionName})`;
    const problems: string[] = [];
    if (found.method !== exchange.method) problems.push(`the document has ${exchange.functionName} as ${found.method}`);
    const status = String(exchange.status);
    const response = found.op.responses[status] ?? found.op.responses.default;
    if (!response) return [`${where}: status ${status} is not declared (declared: ${Object.keys(found.op.responses).join(', ')})`];

    const sent = new Map(Object.entries(exchange.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v]));
    const declared = new Map(
      Object.entries(response.headers ?? {}).map(([name, h]) => [name.toLowerCase(), this.header(h)] as [string, HeaderObject]),
    );
    for (const [name, h] of declared) if (h.required && !sent.has(name)) problems.push(`declared header ${name} is missing`);
    for (const name of CONTRACT_HEADERS)
      if (sent.has(name) && !declared.has(name)) problems.push(`header ${name} is sent but not declared`);

    const text = exchange.body.toString('utf8');
    if (!response.content) {
      if (text.length) problems.push(`a body is sent where none is declared: ${text.slice(0, 200)}`);
    } else {
      const mediaType = (sent.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
      const media = response.content[mediaType];
      if (!media) {
        problems.push(`content type "${mediaType}" is not declared (declared: ${Object.keys(response.content).join(', ')})`);
      } else if (/^application\/(.+\+)?json$/.test(mediaType)) {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          problems.push(`the body is not JSON: ${text.slice(0, 200)}`);
        }
        const validate = this.validator(found.path, found.method.toLowerCase(), status, mediaType);
        if (body !== undefined && !validate(body)) {
          const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
          problems.push(`the body does not match its schema: ${errors.join('; ')}; body: ${text.slice(0, 300)}`);
        }
      }
    }
    return problems.map((p) => `${where}: ${p}`);
  }

  private header(h: HeaderObject): HeaderObject {
    const name = h.$ref?.replace('#/components/headers/', '');
    return name ? (this.document.components?.headers?.[name] ?? {}) : h;
  }

  private validator(p: string, method: string, status: string, mediaType: string): ValidateFunction {
    const key = `${DOC_ID}#/${pointer('paths', p, method, 'responses', status, 'content', mediaType, 'schema')}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.getSchema(key);
      if (!validate) throw new Error(`no schema at ${key}`);
      this.validators.set(key, validate);
    }
    return validate;
  }
}

let shared: Conformance | undefined;

/** The OpenAPI document the built app serves (dist/), as GET /api/openapi.json answers it. */
export function builtDocument(): OpenApiDocument {
  const { openApiDocument } = require(path.join(REPO_ROOT, 'dist', 'shared', 'api', 'document.js')) as {
    openApiDocument(version: string): OpenApiDocument;
  };
  return openApiDocument('test');
}

/** The checker of this test file, made on first use. */
export function conformance(): Conformance {
  shared ??= new Conformance(builtDocument());
  return shared;
}

/** The mismatches seen since the last call, now reported. */
export function takeViolations(): string[] {
  return shared ? shared.violations.splice(0) : [];
}

/**
 * Regenerates Graph operations of the contract subset (`graph-subset.json` and `provenance.json` next to this file) from
 * Microsoft's CSDL (`clean_v10_metadata/cleanMetadata.xml` of microsoftgraph/msgraph-metadata) and the list of
 * operations in `operations.json`:
 *
 *   npm run contract:graph -- --csdl /tmp/cleanMetadata.xml --commit <sha> [--commit-date <date>]
 *
 * Each listed operation is resolved against the CSDL's entity container (entity set or singleton, keys, navigation
 * properties, bound actions) and written in the subset's format: an `operations` entry, an OpenAPI 3.0.3 path item
 * following Microsoft.OpenApi.OData conventions (with the deviations listed in provenance.json, e.g. request bodies with
 * additionalProperties:false), the component schemas and enums it reaches. Operations of the existing subset that the
 * list does not name (the earlier extraction, the beta ones, the hand-written `/$batch`) are carried over unchanged.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { findRepoRoot } from '../../util';

type Json = Record<string, unknown>;
type Xml = Record<string, unknown>;

export interface ListedOperation {
  version: string;
  method: string;
  path: string;
}

export interface SourceInfo {
  repo: string;
  commit: string;
  file: string;
  commitDate?: string;
}

const ARRAY_TAGS = new Set([
  'Schema',
  'EntityType',
  'ComplexType',
  'EnumType',
  'Member',
  'Property',
  'NavigationProperty',
  'Action',
  'Function',
  'Parameter',
  'EntityContainer',
  'EntitySet',
  'Singleton',
  'Annotation',
  'Record',
  'PropertyValue',
  'Collection',
  'String',
  'PropertyPath',
  'NavigationPropertyBinding',
  'PropertyRef',
]);

const DATE_TIME_PATTERN =
  '^[0-9]{4,}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,12})?(Z|[+-][0-9][0-9]:[0-9][0-9])$';
const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const EXTENSION_PATTERN = '^extension_[0-9a-fA-F]{32}_[A-Za-z0-9_]+$';
const METHOD_ORDER = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'];

function arr(v: unknown): Xml[] {
  return Array.isArray(v) ? (v as Xml[]) : v === undefined ? [] : [v as Xml];
}

/** The CSDL, indexed by qualified name. */
export class Csdl {
  readonly types = new Map<string, { kind: 'entity' | 'complex' | 'enum'; el: Xml; ns: string }>();
  readonly boundOps: Array<{ name: string; kind: 'action' | 'function'; el: Xml }> = [];
  readonly entitySets = new Map<string, Xml>();
  readonly singletons = new Map<string, Xml>();
  private readonly aliases = new Map<string, string>();

  constructor(xml: string) {
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      isArray: (name, _jpath, _leaf, isAttribute) => !isAttribute && ARRAY_TAGS.has(name),
      parseAttributeValue: false,
      parseTagValue: false,
    });
    const doc = parser.parse(xml.replace(/^\uFEFF/, '')) as Xml;
    const edmx = doc['edmx:Edmx'] as Xml | undefined;
    const ds = edmx?.['edmx:DataServices'] as Xml | undefined;
    if (!ds) throw new Error('not a CSDL document (no edmx:Edmx/edmx:DataServices)');
    const schemas = arr(ds.Schema);
    for (const s of schemas) if (s.Alias) this.aliases.set(String(s.Alias), String(s.Namespace));
    for (const s of schemas) {
      const ns = String(s.Namespace);
      for (const el of arr(s.EntityType)) this.types.set(`${ns}.${String(el.Name)}`, { kind: 'entity', el, ns });
      for (const el of arr(s.ComplexType)) this.types.set(`${ns}.${String(el.Name)}`, { kind: 'complex', el, ns });
      for (const el of arr(s.EnumType)) this.types.set(`${ns}.${String(el.Name)}`, { kind: 'enum', el, ns });
      for (const el of arr(s.Action))
        if (el.IsBound === 'true') this.boundOps.push({ name: `${ns}.${String(el.Name)}`, kind: 'action', el });
      for (const el of arr(s.Function))
        if (el.IsBound === 'true') this.boundOps.push({ name: `${ns}.${String(el.Name)}`, kind: 'function', el });
      for (const c of arr(s.EntityContainer)) {
        for (const el of arr(c.EntitySet)) this.entitySets.set(String(el.Name), el);
        for (const el of arr(c.Singleton)) this.singletons.set(String(el.Name), el);
      }
    }
  }

  /** `graph.user` / `Collection(graph.user)` → { name: 'microsoft.graph.user', collection }. */
  typeRef(t: string): { name: string; collection: boolean } {
    const m = /^Collection\((.+)\)$/.exec(t);
    const inner = m ? m[1]! : t;
    if (inner.startsWith('Edm.')) return { name: inner, collection: !!m };
    const dot = inner.lastIndexOf('.');
    const ns = inner.slice(0, dot);
    return { name: `${this.aliases.get(ns) ?? ns}.${inner.slice(dot + 1)}`, collection: !!m };
  }

  type(name: string) {
    const t = this.types.get(name);
    if (!t) throw new Error(`type ${name} is not in the CSDL`);
    return t;
  }

  /** The type and its base types, most basic first. */
  hierarchy(name: string): Xml[] {
    const out: Xml[] = [];
    let cur: string | undefined = name;
    while (cur) {
      const t = this.type(cur);
      out.unshift(t.el);
      cur = t.el.BaseType ? this.typeRef(String(t.el.BaseType)).name : undefined;
    }
    return out;
  }

  derivesFrom(name: string, base: string): boolean {
    let cur: string | undefined = name;
    while (cur) {
      if (cur === base) return true;
      const t = this.types.get(cur);
      cur = t?.el.BaseType ? this.typeRef(String(t.el.BaseType)).name : undefined;
    }
    return false;
  }

  properties(name: string): Xml[] {
    return this.hierarchy(name).flatMap((el) => arr(el.Property));
  }

  navigations(name: string): Xml[] {
    return this.hierarchy(name).flatMap((el) => arr(el.NavigationProperty));
  }
}

function annotation(el: Xml | undefined, term: string): Xml | undefined {
  return arr(el?.Annotation).find((a) => a.Term === term);
}

function recordValue(record: Xml | undefined, prop: string): Xml | undefined {
  return arr(record?.PropertyValue).find((p) => p.Property === prop);
}

/** Custom headers of ReadRestrictions (e.g. ConsistencyLevel with its example values). */
function customHeaders(readRestrictions: Xml | undefined): Array<{ name: string; description: string; values: string[] }> {
  const rec = arr(readRestrictions?.Record)[0];
  const coll = arr(recordValue(rec, 'CustomHeaders')?.Collection)[0];
  return arr(coll?.Record).map((r) => {
    const examples = arr(arr(recordValue(r, 'ExampleValues')?.Collection)[0]?.Record);
    const description = [
      String(recordValue(r, 'Description')?.String ?? ''),
      ...examples.map((e) => String(recordValue(e, 'Description')?.String ?? '')),
    ]
      .filter(Boolean)
      .join(' ');
    return {
      name: String(recordValue(r, 'Name')?.String ?? ''),
      description,
      values: examples.map((e) => String(recordValue(e, 'Value')?.String ?? '')).filter(Boolean),
    };
  });
}

/** ReadRestrictions for a navigation property, from the source set's NavigationRestrictions or the property itself. */
function navReadRestrictions(source: Xml | undefined, navName: string, navEl: Xml): Xml | undefined {
  const restricted = arr(
    arr(
      recordValue(arr(annotation(source, 'Org.OData.Capabilities.V1.NavigationRestrictions')?.Record)[0], 'RestrictedProperties')
        ?.Collection,
    )[0]?.Record,
  );
  for (const r of restricted) {
    const p = arr(recordValue(r, 'NavigationProperty')?.PropertyPath)[0];
    if (String(p) === navName) {
      const rr = recordValue(r, 'ReadRestrictions');
      if (rr && customHeaders(rr).length) return rr;
    }
  }
  return annotation(navEl, 'Org.OData.Capabilities.V1.ReadRestrictions');
}

function primitiveSchema(t: string): Json {
  switch (t) {
    case 'Edm.String':
      return { type: 'string' };
    case 'Edm.Boolean':
      return { type: 'boolean' };
    case 'Edm.Int32':
      return { type: 'integer', format: 'int32', minimum: -2147483648, maximum: 2147483647 };
    case 'Edm.Int16':
      return { type: 'integer', format: 'int16', minimum: -32768, maximum: 32767 };
    case 'Edm.Byte':
      return { type: 'integer', format: 'uint8', minimum: 0, maximum: 255 };
    case 'Edm.SByte':
      return { type: 'integer', format: 'int8', minimum: -128, maximum: 127 };
    case 'Edm.Int64':
      return { type: 'integer', format: 'int64' };
    case 'Edm.Double':
    case 'Edm.Single':
      return { type: 'number', format: 'double' };
    case 'Edm.Decimal':
      return { type: 'number', format: 'decimal' };
    case 'Edm.Guid':
      return { type: 'string', format: 'uuid', pattern: UUID_PATTERN };
    case 'Edm.DateTimeOffset':
      return { type: 'string', format: 'date-time', pattern: DATE_TIME_PATTERN };
    case 'Edm.Date':
      return { type: 'string', format: 'date', pattern: '^[0-9]{4,}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$' };
    case 'Edm.TimeOfDay':
      return { type: 'string', format: 'time' };
    case 'Edm.Duration':
      return { type: 'string', format: 'duration' };
    case 'Edm.Binary':
    case 'Edm.Stream':
      return { type: 'string', format: 'base64url' };
    case 'Edm.Untyped':
      return {};
    default:
      return { type: 'object' };
  }
}

const PRIMITIVE_LABEL: Record<string, string> = {
  'Edm.String': 'string',
  'Edm.Boolean': 'boolean',
  'Edm.Int16': 'integer',
  'Edm.Int32': 'integer',
  'Edm.Int64': 'integer',
  'Edm.Byte': 'integer',
  'Edm.SByte': 'integer',
  'Edm.Double': 'number',
  'Edm.Single': 'number',
  'Edm.Decimal': 'number',
  'Edm.Guid': 'uuid',
  'Edm.DateTimeOffset': 'date-time',
  'Edm.Date': 'date',
};

/** Builds the pieces of the subset for the listed operations of one CSDL. */
class Builder {
  readonly schemas = new Map<string, Json>();
  readonly responses = new Map<string, Json>();
  readonly enums = new Map<string, string[]>();
  private readonly pending: string[] = [];

  constructor(readonly csdl: Csdl) {}

  ref(name: string): Json {
    if (!this.schemas.has(name) && !this.pending.includes(name)) this.pending.push(name);
    return { $ref: `#/components/schemas/${name}` };
  }

  /** The schema of a property or parameter of type `t` (nullable per the CSDL facet, which defaults to true). */
  valueSchema(t: string, nullable: boolean): Json {
    const { name, collection } = this.csdl.typeRef(t);
    const item = name.startsWith('Edm.') ? primitiveSchema(name) : this.ref(name);
    if (collection) return { type: 'array', items: item };
    if (name.startsWith('Edm.')) return nullable && name !== 'Edm.Untyped' ? { ...item, nullable: true } : item;
    return nullable ? { anyOf: [item, { type: 'object', nullable: true, enum: [null] }] } : item;
  }

  label(t: string, nullable: boolean): string {
    const { name, collection } = this.csdl.typeRef(t);
    let base = name.startsWith('Edm.') ? (PRIMITIVE_LABEL[name] ?? name.slice(4).toLowerCase()) : name;
    if (!name.startsWith('Edm.') && this.csdl.types.get(name)?.kind === 'enum') base = `enum:${name}`;
    if (collection) return `${base}[]`;
    return nullable && base !== 'date-time' ? `${base}?` : nullable ? 'date-time?' : base;
  }

  propertySchema(p: Xml): Json {
    const s = this.valueSchema(String(p.Type), p.Nullable !== 'false');
    const desc = annotation(p, 'Org.OData.Core.V1.Description')?.String;
    return desc ? { ...s, description: String(desc) } : s;
  }

  /** Component schemas (and enums) for every type reached so far. */
  flush(): void {
    while (this.pending.length) {
      const name = this.pending.shift()!;
      if (this.schemas.has(name)) continue;
      if (name.endsWith('CollectionResponse') && !this.csdl.types.has(name)) {
        const item = name.slice(0, -'CollectionResponse'.length);
        this.schemas.set(name, {
          title: `Collection of ${item.split('.').pop()}`,
          type: 'object',
          properties: {
            '@odata.context': { type: 'string' },
            '@odata.count': { type: 'integer', nullable: true },
            '@odata.nextLink': { type: 'string', nullable: true },
            value: { type: 'array', items: this.ref(item) },
          },
          additionalProperties: true,
        });
        continue;
      }
      const t = this.csdl.type(name);
      if (t.kind === 'enum') {
        const members = arr(t.el.Member).map((m) => String(m.Name));
        this.enums.set(name, members);
        this.schemas.set(name, { title: String(t.el.Name), type: 'string', enum: members });
        continue;
      }
      const props: Json = {};
      for (const p of this.csdl.properties(name)) props[String(p.Name)] = this.propertySchema(p);
      props['@odata.type'] = { type: 'string' };
      this.schemas.set(name, { title: String(t.el.Name), type: 'object', properties: props, additionalProperties: true });
    }
  }

  collectionResponse(item: string): Json {
    const name = `${item}CollectionResponse`;
    this.ref(name);
    this.responses.set(name, {
      description: 'Retrieved collection',
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } },
    });
    return { $ref: `#/components/responses/${name}` };
  }
}

interface Resolved {
  /** type of the addressed resource (or of the bound operation's binding) */
  type: string;
  collection: boolean;
  pathParams: Array<{ name: string; type: string }>;
  /** annotations source: the entity set/singleton, and the navigation property when the path ends in one */
  source: Xml;
  nav?: { name: string; el: Xml };
  bound?: { name: string; kind: 'action' | 'function'; el: Xml };
  alias?: string;
  lastSegment: string;
}

function resolvePath(csdl: Csdl, p: string): Resolved {
  const segs = p.split('/').filter(Boolean);
  const first = segs[0] ?? '';
  const set = csdl.entitySets.get(first);
  const single = csdl.singletons.get(first);
  if (!set && !single) throw new Error(`${p}: '${first}' is neither an entity set nor a singleton of the CSDL`);
  const el = (set ?? single)!;
  let cur: Resolved = {
    type: csdl.typeRef(String(set ? el.EntityType : el.Type)).name,
    collection: !!set,
    pathParams: [],
    source: el,
    lastSegment: first,
  };
  for (let i = 1; i < segs.length; i++) {
    const seg = segs[i]!;
    if (cur.bound) throw new Error(`${p}: nothing may follow the bound operation ${cur.bound.name}`);
    const key = /^\{(.+)\}$/.exec(seg);
    if (key) {
      if (!cur.collection) throw new Error(`${p}: key segment ${seg} after a single-valued segment`);
      const short = cur.type.split('.').pop()!;
      if (key[1] !== `${short}-id`) throw new Error(`${p}: key segment ${seg} should be {${short}-id}`);
      cur = {
        ...cur,
        collection: false,
        nav: undefined,
        pathParams: [...cur.pathParams, { name: key[1]!, type: short }],
        lastSegment: seg,
      };
      continue;
    }
    if (seg.includes('.')) {
      const candidates = csdl.boundOps.filter((o) => o.name === seg);
      const match = candidates.find((o) => {
        const binding = arr(o.el.Parameter)[0];
        if (!binding) return false;
        const b = csdl.typeRef(String(binding.Type));
        return b.collection === cur.collection && csdl.derivesFrom(cur.type, b.name);
      });
      if (!match) throw new Error(`${p}: no bound operation ${seg} for ${cur.collection ? 'a collection of ' : ''}${cur.type}`);
      const unqualified = seg.slice(seg.lastIndexOf('.') + 1);
      cur = { ...cur, bound: match, alias: `/${[...segs.slice(0, i), unqualified].join('/')}`, lastSegment: unqualified };
      continue;
    }
    const nav = csdl.navigations(cur.type).find((n) => n.Name === seg);
    if (!nav || cur.collection) throw new Error(`${p}: ${cur.type} has no navigation property '${seg}' here`);
    const t = csdl.typeRef(String(nav.Type));
    cur = { ...cur, type: t.name, collection: t.collection, nav: { name: seg, el: nav }, lastSegment: seg };
  }
  return cur;
}

function operationId(method: string, p: string): string {
  return `${method.toLowerCase()}_${p
    .replace(/[{}]/g, '')
    .split('/')
    .filter(Boolean)
    .map((s) => s.replace(/[^A-Za-z0-9]/g, '_'))
    .join('_')}`;
}

const ERROR_REF = { $ref: '#/components/responses/error' };

/** One operation: its `operations` entry and its OpenAPI operation object (plus path-level parameters). */
function buildOperation(b: Builder, listed: ListedOperation) {
  const csdl = b.csdl;
  const method = listed.method.toUpperCase();
  const r = resolvePath(csdl, listed.path);
  const parameters: Json[] = [];
  const queryOptions: string[] = [];
  const headers: string[] = [];
  let requestBody: Json | undefined;
  let bodySummary: { required: string[]; additionalProperties: boolean; properties: Record<string, string> } | null = null;
  let responses: Json;
  let summary: string;
  const short = r.type.split('.').pop()!;

  const readRestrictions = r.nav
    ? navReadRestrictions(r.source, r.nav.name, r.nav.el)
    : r.pathParams.length === 0
      ? annotation(r.source, 'Org.OData.Capabilities.V1.ReadRestrictions')
      : undefined;
  // A collection navigation constrained to derived types (memberOf: group, directoryRole, …) also selects their properties.
  const derived = arr(arr(annotation(r.nav?.el, 'Org.OData.Validation.V1.DerivedTypeConstraint')?.Collection)[0]?.String)
    .map((x) => csdl.typeRef(String(x)).name)
    .filter((n) => csdl.types.has(n));
  const structural = () => [
    ...new Set([r.type, ...(r.collection ? derived : [])].flatMap((t) => csdl.properties(t).map((p) => String(p.Name)))),
  ];
  const navNames = () => csdl.navigations(r.type).map((n) => String(n.Name));
  const selectParam = (): Json => {
    const names = [...structural().sort(), ...navNames().sort()];
    const items: Json = csdl.derivesFrom(r.type, 'microsoft.graph.directoryObject')
      ? {
          anyOf: [
            { type: 'string', enum: names },
            { type: 'string', pattern: EXTENSION_PATTERN },
          ],
        }
      : { type: 'string', enum: names };
    return {
      name: '$select',
      in: 'query',
      description: 'Select properties to be returned',
      schema: { uniqueItems: true, type: 'array', items },
      style: 'form',
      explode: false,
    };
  };
  const expandParam = (): Json => ({
    name: '$expand',
    in: 'query',
    description: 'Expand related entities',
    schema: { uniqueItems: true, type: 'array', items: { type: 'string', enum: ['*', ...navNames().sort()] } },
    style: 'form',
    explode: false,
  });

  if (r.bound) {
    const params = arr(r.bound.el.Parameter).slice(1);
    if (method !== (r.bound.kind === 'action' ? 'POST' : 'GET'))
      throw new Error(`${listed.path}: ${r.bound.kind} ${r.bound.name} is called with ${r.bound.kind === 'action' ? 'POST' : 'GET'}`);
    summary = `Invoke ${r.bound.kind} ${r.lastSegment}`;
    if (r.bound.kind === 'action' && params.length) {
      const props: Json = {};
      const required: string[] = [];
      bodySummary = { required, additionalProperties: false, properties: {} };
      for (const prm of params) {
        const nullable = prm.Nullable !== 'false';
        props[String(prm.Name)] = b.valueSchema(String(prm.Type), nullable);
        bodySummary.properties[String(prm.Name)] = b.label(String(prm.Type), nullable);
        if (!nullable && !annotation(prm, 'Org.OData.Core.V1.OptionalParameter')) required.push(String(prm.Name));
      }
      const schema: Json = { type: 'object', properties: props, additionalProperties: false };
      if (required.length) schema.required = required;
      requestBody = { required: true, content: { 'application/json': { schema } } };
    }
    const ret = r.bound.el.ReturnType as Xml | undefined;
    responses = ret
      ? {
          '2XX': {
            description: 'Success',
            content: { 'application/json': { schema: b.valueSchema(String(ret.Type), ret.Nullable !== 'false') } },
          },
          default: ERROR_REF,
        }
      : { 204: { description: 'Success' }, default: ERROR_REF };
  } else if (method === 'GET' && r.collection) {
    summary = `List ${r.lastSegment}`;
    const skipSupported = annotation(r.nav?.el ?? r.source, 'Org.OData.Capabilities.V1.SkipSupported')?.Bool !== 'false';
    for (const h of customHeaders(readRestrictions)) {
      headers.push(h.values.length ? `${h.name}=${h.values.join('|')}` : h.name);
      parameters.push({
        name: h.name,
        in: 'header',
        description: h.description,
        style: 'simple',
        schema: h.values.length ? { type: 'string', enum: h.values } : { type: 'string' },
      });
    }
    for (const q of ['top', 'skip', 'search', 'filter', 'count']) {
      if (q === 'skip' && !skipSupported) continue;
      parameters.push({ $ref: `#/components/parameters/${q}` });
      queryOptions.push(`$${q}`);
    }
    parameters.push({
      name: '$orderby',
      in: 'query',
      description: 'Order items by property values',
      schema: {
        uniqueItems: true,
        type: 'array',
        items: {
          type: 'string',
          enum: structural()
            .sort()
            .flatMap((n) => [n, `${n} desc`]),
        },
      },
      style: 'form',
      explode: false,
    });
    parameters.push(selectParam(), expandParam());
    queryOptions.push('$orderby', '$select', '$expand');
    responses = { '2XX': b.collectionResponse(r.type), default: ERROR_REF };
  } else if (method === 'GET') {
    summary = `Get ${short}`;
    parameters.push(selectParam(), expandParam());
    queryOptions.push('$select', '$expand');
    responses = {
      '2XX': { description: 'Retrieved entity', content: { 'application/json': { schema: b.ref(r.type) } } },
      default: ERROR_REF,
    };
  } else if (method === 'POST' && r.collection) {
    summary = `Create ${short}`;
    const props: Json = {};
    bodySummary = { required: [], additionalProperties: false, properties: {} };
    for (const p of csdl.properties(r.type)) {
      props[String(p.Name)] = b.propertySchema(p);
      bodySummary.properties[String(p.Name)] = b.label(String(p.Type), p.Nullable !== 'false');
    }
    props['@odata.type'] = { type: 'string' };
    bodySummary.properties['@odata.type'] = 'string';
    requestBody = {
      required: true,
      content: { 'application/json': { schema: { type: 'object', properties: props, additionalProperties: false } } },
    };
    responses = {
      201: { description: 'Created entity', content: { 'application/json': { schema: b.ref(r.type) } } },
      default: ERROR_REF,
    };
  } else if (method === 'DELETE' && !r.collection) {
    summary = `Delete ${short}`;
    parameters.push({ name: 'If-Match', in: 'header', description: 'ETag', schema: { type: 'string' } });
    headers.push('If-Match');
    responses = { 204: { description: 'Success' }, default: ERROR_REF };
  } else {
    throw new Error(`${method} ${listed.path}: the generator knows list, get, create, delete and bound operations only`);
  }

  const op: Json = { summary, operationId: operationId(method, listed.path) };
  if (parameters.length) op.parameters = parameters;
  if (requestBody) op.requestBody = requestBody;
  op.responses = responses;
  if (r.alias) op['x-ms-graph-path-aliases'] = [r.alias];
  const pathParams: Json[] = r.pathParams.map((pp) => ({
    name: pp.name,
    in: 'path',
    required: true,
    style: 'simple',
    description: `The unique identifier of ${pp.type}`,
    schema: { type: 'string' },
    'x-ms-docs-key-type': pp.type,
  }));
  const entry = {
    version: listed.version,
    method,
    path: listed.path,
    aliases: r.alias ? [r.alias] : [],
    pathParams: r.pathParams.map((pp) => pp.name),
    queryOptions,
    headers,
    requestBody: bodySummary,
  };
  return { entry, op, pathParams, alias: r.alias };
}

/** The git blob id of a file's content (what `git ls-tree` shows), to record which file was read. */
export function gitBlobId(content: Buffer): string {
  return crypto
    .createHash('sha1')
    .update(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]))
    .digest('hex');
}

function sortKeys<T>(m: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function opOrder(a: { version: string; path: string; method: string }, b: { version: string; path: string; method: string }): number {
  const v = (x: string) => (x === 'v1.0' ? 0 : 1);
  if (v(a.version) !== v(b.version)) return v(a.version) - v(b.version);
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method);
}

/**
 * Merges the generated operations into `base` (the current subset): listed operations replace entries of the same
 * version, method and path; component schemas, responses and enums they reach are (re)written from the CSDL.
 */
export function generateSubset(opts: {
  csdl: Buffer;
  source: SourceInfo;
  operations: ListedOperation[];
  base: Json;
  refreshComponents?: boolean;
}): Json {
  const csdl = new Csdl(opts.csdl.toString('utf8'));
  const subset = JSON.parse(JSON.stringify(opts.base)) as {
    'x-source': Json;
    operations: Array<{ version: string; method: string; path: string; aliases: string[] }>;
    enums: Record<string, string[]>;
    openapi: Record<string, { paths: Record<string, Json>; components: { schemas: Json; responses: Json; parameters: Json } }>;
  };
  const versions = new Set(opts.operations.map((o) => o.version));
  for (const v of versions) if (v !== 'v1.0') throw new Error(`version ${v}: only v1.0 operations are generated from this CSDL`);
  const b = new Builder(csdl);
  const built = opts.operations.map((o) => buildOperation(b, o));
  b.flush();
  const doc = subset.openapi['v1.0'];
  if (!doc) throw new Error('the base subset has no v1.0 OpenAPI document');

  const key = (o: { version: string; method: string; path: string }) => `${o.version} ${o.method.toUpperCase()} ${o.path}`;
  const listedKeys = new Set(opts.operations.map(key));
  subset.operations = subset.operations.filter((o) => !listedKeys.has(key(o)));
  for (const { entry, op, pathParams, alias } of built) {
    subset.operations.push(entry);
    for (const p of alias ? [entry.path, alias] : [entry.path]) {
      const item = (doc.paths[p] ?? {}) as Json;
      if (pathParams.length) item.parameters = pathParams;
      item[entry.method.toLowerCase()] = op;
      doc.paths[p] = item;
    }
  }
  subset.operations.sort(opOrder);
  doc.paths = sortKeys(doc.paths);
  // Components the base already has came from the same kind of extraction; they are replaced only on request (a
  // refresh from a newer CSDL commit), so that regenerating from the same commit leaves them byte-for-byte alone.
  for (const [n, s] of b.schemas) if (opts.refreshComponents || !(n in doc.components.schemas)) doc.components.schemas[n] = s;
  for (const [n, s] of b.responses) if (opts.refreshComponents || !(n in doc.components.responses)) doc.components.responses[n] = s;
  // the error response every operation names (Graph's OData error shape)
  if (!('error' in doc.components.responses))
    doc.components.responses.error = {
      description: 'error',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/microsoft.graph.ODataErrors.ODataError' } } },
    };
  if (!('microsoft.graph.ODataErrors.ODataError' in doc.components.schemas))
    doc.components.schemas['microsoft.graph.ODataErrors.ODataError'] = {
      title: 'ODataError',
      type: 'object',
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string' },
            message: { type: 'string' },
            target: { type: 'string', nullable: true },
            details: { type: 'array', items: { type: 'object' } },
            innerError: { type: 'object' },
          },
        },
      },
    };
  doc.components.schemas = sortKeys(doc.components.schemas);
  doc.components.responses = sortKeys(doc.components.responses);
  for (const [n, members] of b.enums) if (opts.refreshComponents || !(n in subset.enums)) subset.enums[n] = members;
  subset.enums = sortKeys(subset.enums);

  const generated = {
    script: 'local/simulator/graph/contract/generate.ts',
    operationsFile: 'local/simulator/graph/contract/operations.json',
    repo: opts.source.repo,
    commit: opts.source.commit,
    ...(opts.source.commitDate ? { commitDate: opts.source.commitDate } : {}),
    file: opts.source.file,
    blob: gitBlobId(opts.csdl),
    bytes: opts.csdl.length,
    operations: opts.operations.map(key),
  };
  // x-source first, as in the delivered files
  return {
    'x-source': { ...subset['x-source'], generated },
    operations: subset.operations,
    enums: subset.enums,
    openapi: subset.openapi,
  };
}

/** The files as the repository keeps them: one-space indentation, non-ASCII escaped, no trailing newline. */
export function serialize(v: unknown): string {
  return JSON.stringify(v, null, 1).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

export function main(argv: string[]): number {
  const contractDir = path.join(findRepoRoot(), 'local', 'simulator', 'graph', 'contract');
  const csdlFile = arg(argv, 'csdl');
  const commit = arg(argv, 'commit');
  if (!csdlFile || !commit || !/^[0-9a-f]{40}$/.test(commit)) {
    process.stderr.write(
      'usage: npm run contract:graph -- --csdl <cleanMetadata.xml> --commit <40-hex msgraph-metadata commit> ' +
        '[--commit-date <date>] [--repo owner/name] [--file <path in repo>] [--operations <json>] [--out <dir>] [--refresh-components]\n',
    );
    return 2;
  }
  const out = path.resolve(arg(argv, 'out') ?? contractDir);
  const opsFile = path.resolve(arg(argv, 'operations') ?? path.join(contractDir, 'operations.json'));
  const baseFile = path.join(out, 'graph-subset.json');
  const base = JSON.parse(
    fs.readFileSync(fs.existsSync(baseFile) ? baseFile : path.join(contractDir, 'graph-subset.json'), 'utf8'),
  ) as Json;
  const operations = (JSON.parse(fs.readFileSync(opsFile, 'utf8')) as { operations: ListedOperation[] }).operations;
  const subset = generateSubset({
    csdl: fs.readFileSync(csdlFile),
    source: {
      repo: arg(argv, 'repo') ?? 'microsoftgraph/msgraph-metadata',
      commit,
      file: arg(argv, 'file') ?? 'clean_v10_metadata/cleanMetadata.xml',
      commitDate: arg(argv, 'commit-date'),
    },
    operations,
    base,
    refreshComponents: argv.includes('--refresh-components'),
  });
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'graph-subset.json'), serialize(subset));
  fs.writeFileSync(path.join(out, 'provenance.json'), serialize(subset['x-source']));
  process.stdout.write(`wrote ${operations.length} generated operations into ${path.join(out, 'graph-subset.json')} and provenance.json\n`);
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as nodePath from 'node:path';
import { contractFile } from '../../local/simulator';
import { GraphContract } from '../../local/simulator/graph/contract';
import { generateSubset, gitBlobId, main, serialize } from '../../local/simulator/graph/contract/generate';

const FIXTURES = nodePath.join(__dirname, '..', 'fixtures', 'graph-contract');
const CSDL = fs.readFileSync(nodePath.join(FIXTURES, 'mini.csdl.xml'));
const OPS = JSON.parse(fs.readFileSync(nodePath.join(FIXTURES, 'operations.json'), 'utf8')).operations;
const BASE = JSON.parse(fs.readFileSync(nodePath.join(FIXTURES, 'base.json'), 'utf8'));
const SOURCE = { repo: 'microsoftgraph/msgraph-metadata', commit: 'a'.repeat(40), file: 'clean_v10_metadata/cleanMetadata.xml' };

function generated(): any {
  return generateSubset({ csdl: CSDL, source: SOURCE, operations: OPS, base: BASE });
}

function load(subset: unknown): GraphContract {
  const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'graph-gen-'));
  const file = nodePath.join(dir, 'graph-subset.json');
  fs.writeFileSync(file, serialize(subset));
  return GraphContract.load(file);
}

describe('generate.ts on a tiny CSDL', () => {
  test('writes one operations entry per listed operation, in the subset format', () => {
    const s = generated();
    const byKey = Object.fromEntries(s.operations.map((o: any) => [`${o.method} ${o.path}`, o]));
    expect(Object.keys(byKey).sort()).toEqual(OPS.map((o: any) => `${o.method} ${o.path}`).sort());
    expect(byKey['POST /domains/{domain-id}/microsoft.graph.verify']).toEqual({
      version: 'v1.0',
      method: 'POST',
      path: '/domains/{domain-id}/microsoft.graph.verify',
      aliases: ['/domains/{domain-id}/verify'],
      pathParams: ['domain-id'],
      queryOptions: [],
      headers: [],
      requestBody: null,
    });
    expect(byKey['POST /users/{user-id}/microsoft.graph.assignLicense'].requestBody).toEqual({
      required: ['addLicenses', 'removeLicenses'],
      additionalProperties: false,
      properties: { addLicenses: 'microsoft.graph.assignedLicense[]', removeLicenses: 'uuid[]' },
    });
    expect(byKey['POST /domains'].requestBody.properties).toEqual({
      id: 'string',
      isVerified: 'boolean',
      kind: 'enum:microsoft.graph.domainKind?',
      '@odata.type': 'string',
    });
    // Capabilities annotations: SkipSupported=false drops $skip, ReadRestrictions custom headers become headers
    expect(byKey['GET /users'].queryOptions).not.toContain('$skip');
    expect(byKey['GET /domains'].queryOptions).toContain('$skip');
    expect(byKey['GET /users/{user-id}/memberOf'].headers).toEqual(['ConsistencyLevel=eventual']);
    expect(s.enums['microsoft.graph.domainKind']).toEqual(['managed', 'federated']);
    const doc = s.openapi['v1.0'];
    expect(doc.paths['/domains/{domain-id}/verify'].post).toBe(doc.paths['/domains/{domain-id}/microsoft.graph.verify'].post);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'microsoft.graph.domain',
        'microsoft.graph.domainCollectionResponse',
        'microsoft.graph.domainDnsRecordCollectionResponse',
        'microsoft.graph.assignedLicense',
        'microsoft.graph.user',
        'microsoft.graph.ODataErrors.ODataError',
      ]),
    );
    // base properties first, as Microsoft.OpenApi.OData flattens them
    expect(Object.keys(doc.components.schemas['microsoft.graph.user'].properties)).toEqual([
      'id',
      'deletedDateTime',
      'displayName',
      'assignedLicenses',
      '@odata.type',
    ]);
  });

  test('the provenance names the source repository, commit, file and its git blob id', () => {
    const s = generated();
    expect(s['x-source'].generatedBy).toBe('test base');
    expect(s['x-source'].generated).toMatchObject({
      repo: 'microsoftgraph/msgraph-metadata',
      commit: 'a'.repeat(40),
      file: 'clean_v10_metadata/cleanMetadata.xml',
      bytes: CSDL.length,
      blob: gitBlobId(CSDL),
    });
    expect(gitBlobId(Buffer.from('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });

  test('the loader accepts the output and checks requests against it', () => {
    const c = load(generated());
    const verify = c.match('v1.0', 'POST', '/domains/contoso.com/verify');
    expect(verify.kind).toBe('match');
    const assign = c.match('v1.0', 'POST', '/users/u1/assignLicense');
    if (assign.kind !== 'match') throw new Error('no match');
    const json = { 'content-type': 'application/json' };
    expect(
      c.check(
        assign.op,
        new URLSearchParams(),
        json,
        JSON.stringify({ addLicenses: [{ skuId: '0dab259f-bf13-4952-b7f8-7db8f131b28d', disabledPlans: [] }], removeLicenses: [] }),
      ),
    ).toEqual([]);
    expect(c.check(assign.op, new URLSearchParams(), json, JSON.stringify({ addLicenses: [] })).map((p) => p.rule)).toEqual([
      'body-schema',
    ]);
    const create = c.match('v1.0', 'POST', '/domains');
    if (create.kind !== 'match') throw new Error('no match');
    expect(c.check(create.op, new URLSearchParams(), json, JSON.stringify({ id: 'a.example' }))).toEqual([]);
    expect(c.check(create.op, new URLSearchParams(), json, JSON.stringify({ id: 'a.example', name: 'x' }))[0]!.message).toContain(
      "property 'name'",
    );
    const list = c.match('v1.0', 'GET', '/users');
    if (list.kind !== 'match') throw new Error('no match');
    expect(c.check(list.op, new URLSearchParams('$skip=2'), {}, '').map((p) => p.rule)).toEqual(['query-option']);
    expect(c.match('v1.0', 'PATCH', '/domains/a.example').kind).toBe('unknown-path');
  });

  test('operations it does not list are carried over unchanged, and a second run changes nothing', () => {
    const first = generated();
    const second = generateSubset({ csdl: CSDL, source: SOURCE, operations: OPS, base: first });
    expect(serialize(second)).toBe(serialize(first));
    const fewer = generateSubset({ csdl: CSDL, source: SOURCE, operations: OPS.slice(0, 2), base: first });
    expect(fewer.operations).toEqual(first.operations);
  });

  test('an operation the CSDL cannot resolve stops the run', () => {
    expect(() =>
      generateSubset({ csdl: CSDL, source: SOURCE, operations: [{ version: 'v1.0', method: 'GET', path: '/groups' }], base: BASE }),
    ).toThrow(/neither an entity set nor a singleton/);
    expect(() =>
      generateSubset({
        csdl: CSDL,
        source: SOURCE,
        operations: [{ version: 'v1.0', method: 'GET', path: '/domains/{domain-id}/microsoft.graph.nope' }],
        base: BASE,
      }),
    ).toThrow(/no bound operation/);
  });

  test('the command line writes graph-subset.json and provenance.json (= x-source) into --out', () => {
    const out = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'graph-gen-out-'));
    fs.copyFileSync(nodePath.join(FIXTURES, 'base.json'), nodePath.join(out, 'graph-subset.json'));
    const csdlFile = nodePath.join(FIXTURES, 'mini.csdl.xml');
    const write = process.stdout.write;
    process.stdout.write = (() => true) as never;
    let rc: number;
    try {
      rc = main(['--csdl', csdlFile, '--commit', 'b'.repeat(40), '--operations', nodePath.join(FIXTURES, 'operations.json'), '--out', out]);
    } finally {
      process.stdout.write = write;
    }
    expect(rc).toBe(0);
    const subset = JSON.parse(fs.readFileSync(nodePath.join(out, 'graph-subset.json'), 'utf8'));
    const provenance = JSON.parse(fs.readFileSync(nodePath.join(out, 'provenance.json'), 'utf8'));
    expect(subset['x-source']).toEqual(provenance);
    expect(provenance.generated.commit).toBe('b'.repeat(40));
    expect(subset.operations).toHaveLength(OPS.length);
  });
});

describe('the repository subset', () => {
  test('every operation of operations.json was generated, from msgraph-metadata', () => {
    const dir = nodePath.dirname(contractFile());
    const listed = JSON.parse(fs.readFileSync(nodePath.join(dir, 'operations.json'), 'utf8')).operations;
    const provenance = JSON.parse(fs.readFileSync(nodePath.join(dir, 'provenance.json'), 'utf8'));
    expect(provenance.generated.repo).toBe('microsoftgraph/msgraph-metadata');
    expect(provenance.generated.file).toBe('clean_v10_metadata/cleanMetadata.xml');
    expect(provenance.generated.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(provenance.generated.operations).toEqual(listed.map((o: any) => `${o.version} ${o.method} ${o.path}`));
    const c = GraphContract.load();
    for (const o of listed) expect(c.match(o.version, o.method, o.path.replace(/\{[^}]+\}/g, 'x')).kind).toBe('match');
  });

  test('npm run contract:graph prints its usage without arguments', () => {
    let err = '';
    try {
      execFileSync(
        process.execPath,
        [nodePath.join(__dirname, '..', '..', 'dist', 'local', 'simulator', 'graph', 'contract', 'generate.js')],
        {
          stdio: 'pipe',
        },
      );
    } catch (e) {
      err = String((e as { stderr: Buffer }).stderr);
    }
    expect(err).toContain('usage: npm run contract:graph');
  });
});

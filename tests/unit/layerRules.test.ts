/**
 * Proves that every layer rule in .dependency-cruiser.cjs can fail: one throw-away tree with the repository's folder
 * names holds, per rule, deliberately bad files (each must break exactly that rule) and matching good files (which must
 * break none). The tree is cruised once, with the repository's config and the folders `npm run depcruise` names, by
 * dependency-cruiser's own CLI (its API is ESM-only, which jest's CommonJS runtime cannot load).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../..');
const CONFIG = path.join(REPO_ROOT, '.dependency-cruiser.cjs');

interface Probe {
  rule: string;
  /** files that must each break `rule`, and only it */
  bad: Record<string, string>;
  /** files in the same folders that must break nothing */
  good: Record<string, string>;
  /** files that break `rule` together, once (a cycle is reported from one of its files) */
  badTogether?: Record<string, string>;
}

/** A module that imports each specifier and uses it (so that neither TypeScript nor a reader drops the import). */
const importing = (...specifiers: string[]): string =>
  specifiers.map((s, i) => `import * as m${i} from '${s}';`).join('\n') +
  `\nexport const uses = [${specifiers.map((_, i) => `m${i}`).join(', ')}];\n`;

/** Targets the probes import; they import nothing themselves. */
const TARGETS = [
  'shared/domain/x.ts',
  'shared/accounts/useCase.ts',
  'shared/accounts/ports.ts',
  'shared/discovery/contract.ts',
  'shared/discovery/ports.ts',
  'shared/discovery/startDiscovery.ts',
  'shared/security/x.ts',
  'shared/storage/x.ts',
  'shared/microsoft/x.ts',
  'shared/communicationServices/x.ts',
  'shared/durable/x.ts',
  'shared/keyVault/x.ts',
  'shared/azureDns/x.ts',
  'shared/http/x.ts',
  'shared/api/x.ts',
  'shared/pages/x.ts',
  'shared/container.ts',
  'shared/config.ts',
  'functions/x.ts',
  'local/x.ts',
  'tests/x.ts',
];

const PROBES: Probe[] = [
  {
    rule: 'domain-is-pure',
    bad: {
      'shared/domain/badUseCase.ts': importing('../accounts/useCase'),
      'shared/domain/badConfig.ts': importing('../config'),
      'shared/domain/badSecurity.ts': importing('../security/x'),
      'shared/domain/badFs.ts': importing('node:fs'),
      'shared/domain/badCrypto.ts': importing('crypto'),
      'shared/domain/badSdk.ts': importing('@azure/data-tables'),
      'shared/domain/badPackage.ts': importing('jose'),
      'shared/domain/badCsvStream.ts': importing('csv-parse'),
    },
    good: {
      'shared/domain/good.ts': importing('./x', 'zod', 'libphonenumber-js', 'csv-parse/sync', 'node:path'),
    },
  },
  {
    rule: 'use-cases-use-ports',
    bad: {
      'shared/accounts/badStorage.ts': importing('../storage/x'),
      'shared/activation/badMicrosoft.ts': importing('../microsoft/x'),
      'shared/email/badAcs.ts': importing('../communicationServices/x'),
      'shared/discovery/badDurable.ts': importing('../durable/x'),
      'shared/mapping/badContainer.ts': importing('../container'),
      'shared/mapping/badConfig.ts': importing('../config'),
      'shared/health/badTrigger.ts': importing('../../functions/x'),
      'shared/accounts/badSdk.ts': importing('@azure/identity'),
      'shared/email/badEmailSdk.ts': importing('@azure/communication-email'),
      'shared/email/badQueueSdk.ts': importing('@azure/storage-queue'),
      'shared/activation/badMsal.ts': importing('@azure/msal-node'),
      'shared/sync/badStorage.ts': importing('../storage/x'),
      'shared/sync/badKeyVault.ts': importing('../keyVault/x'),
      'shared/sync/badVaultSdk.ts': importing('@azure/keyvault-secrets'),
      'shared/sync/badAzureDns.ts': importing('../azureDns/x'),
      'shared/sync/badDnsSdk.ts': importing('@azure/arm-dns'),
    },
    good: {
      'shared/accounts/good.ts': importing('./ports', '../domain/x', '../security/x', 'zod'),
    },
  },
  {
    rule: 'triggers-use-no-adapters',
    bad: {
      'functions/badDurable.ts': importing('../shared/durable/x'),
      'functions/badStorage.ts': importing('../shared/storage/x'),
      'functions/badGraphSdk.ts': importing('@microsoft/microsoft-graph-client'),
      'functions/badKeyVault.ts': importing('@azure/keyvault-secrets'),
      'functions/badVault.ts': importing('../shared/keyVault/x'),
      'functions/badAzureDns.ts': importing('../shared/azureDns/x'),
      'functions/badQueueSdk.ts': importing('@azure/storage-queue'),
    },
    good: {
      'functions/good.ts': importing(
        '../shared/container',
        '../shared/accounts/useCase',
        '../shared/http/x',
        '../shared/api/x',
        '../shared/pages/x',
        'durable-functions',
        '@azure/functions',
      ),
    },
  },
  {
    rule: 'activities-use-no-adapters',
    bad: {
      'activities/badStorage.ts': importing('../shared/storage/x'),
      'activities/badSdk.ts': importing('@azure/data-tables'),
    },
    good: {
      'activities/good.ts': importing('../shared/container', '../shared/discovery/contract', 'durable-functions'),
    },
  },
  {
    rule: 'orchestrators-are-deterministic',
    bad: {
      'orchestrations/badStorage.ts': importing('../shared/storage/x'),
      'orchestrations/badFs.ts': importing('node:fs'),
      'orchestrations/badHttps.ts': importing('https'),
      'orchestrations/badContainer.ts': importing('../shared/container'),
      'orchestrations/badUseCase.ts': importing('../shared/discovery/startDiscovery'),
      'orchestrations/badSdk.ts': importing('@azure/msal-node'),
      'orchestrations/badSecurity.ts': importing('../shared/security/x'),
      'orchestrations/badConfig.ts': importing('../shared/config'),
      'orchestrations/badPackage.ts': importing('zod'),
      'orchestrations/badHttp.ts': importing('../shared/http/x'),
    },
    good: {
      'orchestrations/good.ts': importing(
        'durable-functions',
        '../shared/domain/x',
        '../shared/discovery/contract',
        '../shared/discovery/ports',
      ),
    },
  },
  {
    rule: 'web-plumbing-is-for-triggers',
    bad: {
      'shared/accounts/badHttp.ts': importing('../http/x'),
      'shared/storage/badApi.ts': importing('../api/x'),
      'shared/badPages.ts': importing('./pages/x'),
      'activities/badApi.ts': importing('../shared/api/x'),
    },
    good: {
      'shared/http/good.ts': importing('./x', '../api/x', '../pages/x', '../security/x', '../domain/x'),
      'shared/pages/good.ts': importing('../http/x', './x'),
    },
  },
  {
    rule: 'product-does-not-import-local-runtime',
    bad: {
      'shared/badLocal.ts': importing('../local/x'),
      'functions/badTests.ts': importing('../tests/x'),
    },
    good: {
      'shared/goodNeighbour.ts': importing('./config'),
    },
  },
  {
    rule: 'no-circular',
    bad: {},
    badTogether: {
      'shared/security/cycleA.ts': importing('./cycleB'),
      'shared/security/cycleB.ts': importing('./cycleA'),
    },
    good: {
      'shared/security/chainA.ts': importing('./chainB'),
      'shared/security/chainB.ts': importing('./x'),
    },
  },
];

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

/** The folders and options `npm run depcruise` passes, taken from package.json so that the probe cruises the same. */
function depcruiseArgs(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const [command, ...args] = (pkg.scripts.depcruise as string).split(/\s+/);
  expect(command).toBe('depcruise');
  const i = args.indexOf('--config');
  expect(args[i + 1]).toBe('.dependency-cruiser.cjs');
  return [...args.slice(0, i), ...args.slice(i + 2)];
}

function write(root: string, file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), text);
}

let tree: string;
let violations: Violation[];
let cruisedModules: Set<string>;

beforeAll(() => {
  tree = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-rules-'));
  for (const t of TARGETS) write(tree, t, 'export const x = 1;\n');
  for (const p of PROBES) for (const [file, text] of Object.entries({ ...p.bad, ...p.badTogether, ...p.good })) write(tree, file, text);
  write(
    tree,
    'tsconfig.json',
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'commonjs', moduleResolution: 'node', esModuleInterop: true, strict: true },
      include: ['functions', 'orchestrations', 'activities', 'shared', 'local', 'tests'],
    }),
  );
  // Real packages, so that SDK imports resolve as they do in the repository.
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(tree, 'node_modules'), 'dir');

  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', 'dependency-cruiser', 'package.json'), 'utf8'));
  const bin = path.join(REPO_ROOT, 'node_modules', 'dependency-cruiser', pkg.bin.depcruise as string);
  const run = spawnSync(process.execPath, [bin, ...depcruiseArgs(), '--config', CONFIG, '--output-type', 'json'], {
    cwd: tree,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  let result: any;
  try {
    result = JSON.parse(run.stdout);
  } catch {
    throw new Error(`dependency-cruiser did not produce a JSON result (exit ${run.status}):\n${run.stderr}\n${run.stdout}`);
  }
  violations = result.summary.violations;
  cruisedModules = new Set((result.modules as Array<{ source: string }>).map((m) => m.source));
}, 30000);

afterAll(() => {
  if (tree) fs.rmSync(tree, { recursive: true, force: true });
});

const rulesFrom = (...files: string[]): string[] =>
  [...new Set(violations.filter((v) => files.includes(v.from)).map((v) => v.rule.name))].sort();

test('every rule in the config is an error and has a probe here (and every probe names a rule in the config)', () => {
  delete require.cache[CONFIG];
  const config = require(CONFIG) as { forbidden: Array<{ name: string; severity: string }> };
  expect(config.forbidden.map((r) => r.name).sort()).toEqual(PROBES.map((p) => p.rule).sort());
  for (const r of config.forbidden) expect({ rule: r.name, severity: r.severity }).toEqual({ rule: r.name, severity: 'error' });
});

test('the probe tree was cruised, and only the bad files break a rule', () => {
  for (const p of PROBES) for (const file of Object.keys({ ...p.bad, ...p.badTogether, ...p.good })) expect(cruisedModules).toContain(file);
  const bad = new Set(PROBES.flatMap((p) => Object.keys({ ...p.bad, ...p.badTogether })));
  expect(violations.filter((v) => !bad.has(v.from))).toEqual([]);
});

describe.each(PROBES.map((p) => [p.rule, p] as const))('%s', (rule, probe) => {
  if (Object.keys(probe.bad).length)
    test.each(Object.keys(probe.bad))('fails for %s, with exactly this rule', (file) => {
      expect(rulesFrom(file)).toEqual([rule]);
    });

  if (probe.badTogether)
    test(`fails for ${Object.keys(probe.badTogether).join(' + ')} together, once, with exactly this rule`, () => {
      const files = Object.keys(probe.badTogether!);
      expect(rulesFrom(...files)).toEqual([rule]);
      expect(violations.filter((v) => files.includes(v.from))).toHaveLength(1);
    });

  test.each(Object.keys(probe.good))('passes for the matching good file %s', (file) => {
    expect(rulesFrom(file)).toEqual([]);
  });
});

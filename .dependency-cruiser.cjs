/**
 * Layer rules (checked by `npm test`; tests/unit/layerRules.test.ts proves that each one can fail).
 *
 * Layout: shared/domain (pure) · use cases in feature folders
 * shared/{accounts,activation,discovery,mapping,email,health,sync} · primitives for use cases in shared/security ·
 * adapters shared/{storage,microsoft,communicationServices,durable,keyVault,azureDns} and
 * the Azure/Microsoft SDK packages · web plumbing for triggers shared/{http,api,pages} · composition root
 * shared/container.ts, settings shared/config.ts · triggers functions/, orchestrators orchestrations/, activities
 * activities/ · local runtime local/, tests tests/.
 *
 * 1. domain-is-pure: shared/domain imports only itself and pure libraries (zod, libphonenumber-js, csv-parse's sync
 *    build): no other shared folder, no outer folder, no other package, no Node I/O module.
 * 2. use-cases-use-ports: a use case reaches storage, Microsoft, email delivery and Durable Functions through its ports;
 *    it never imports an adapter, an SDK, the composition root, the settings or a trigger/orchestrator/activity (nor
 *    the web plumbing: rule 6 reports that).
 * 3. triggers-use-no-adapters: functions/ get adapters only through the composition root (no adapter, no SDK).
 * 4. activities-use-no-adapters: the same for activities/.
 * 5. orchestrators-are-deterministic: an allow-list — orchestrations/ import only durable-functions, shared/domain
 *    and the pure contract and port modules of a use case (nothing that could bring I/O, time or randomness).
 * 6. web-plumbing-is-for-triggers: only functions/ (and the web plumbing itself) use shared/http, shared/api and
 *    shared/pages; the rest of shared/ and activities/ do not (shared/domain: rule 1 reports it; orchestrations/:
 *    rule 5).
 * 7. product-does-not-import-local-runtime: nothing in the product imports local/ or tests/.
 * 8. no-circular: no import cycles.
 */

const USE_CASES = '^shared/(accounts|activation|discovery|mapping|email|health|sync)/';
const ADAPTERS = '^shared/(storage|microsoft|communicationServices|durable|keyVault|azureDns)/';
const SDK_PACKAGES =
  '(@azure/(data-tables|storage-queue|identity|keyvault-secrets|communication-email|msal-node|arm-dns)|@microsoft/microsoft-graph-client)';
// Resolved (node_modules/…, possibly behind a symlink) or, if it could not be resolved, the bare module name.
const SDKS = `(^|/)node_modules/${SDK_PACKAGES}/|^${SDK_PACKAGES}(/|$)`;
const CONTAINER = '^shared/container\\.ts$';
const CONFIG = '^shared/config\\.ts$';
const WEB_PLUMBING = '^shared/(http|api|pages)/';
const OUTER = '^(functions|orchestrations|activities)/';
// Node modules that touch the outside world or are non-deterministic; with or without the node: prefix.
// (Listed one by one: dependency-cruiser rejects nested quantifiers such as `(/.*)?` as unsafe.)
const NODE_IO = '^(node:)?(fs|fs/promises|http|https|http2|net|tls|dgram|dns|dns/promises|child_process|cluster|worker_threads|crypto)$';

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      severity: 'error',
      from: { path: '^shared/domain/' },
      to: {
        path: `^shared/|^(functions|orchestrations|activities|local|tests)/|(^|/)node_modules/|${NODE_IO}`,
        // Itself, and pure computation libraries, no I/O: zod (validation), libphonenumber-js (numbering plans shipped
        // as data), csv-parse's sync API (string in, records out; its stream API is not allowed).
        pathNot: '^shared/domain/|(^|/)node_modules/(zod|libphonenumber-js)/|(^|/)node_modules/csv-parse/dist/cjs/sync\\.cjs$',
      },
    },
    {
      name: 'use-cases-use-ports',
      severity: 'error',
      from: { path: USE_CASES },
      // Settings too: a use case gets what it needs through its deps, from the container.
      to: { path: [ADAPTERS, SDKS, CONTAINER, CONFIG, OUTER].join('|') },
    },
    {
      name: 'triggers-use-no-adapters',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: [ADAPTERS, SDKS].join('|') },
    },
    {
      name: 'activities-use-no-adapters',
      severity: 'error',
      from: { path: '^activities/' },
      to: { path: [ADAPTERS, SDKS].join('|') },
    },
    {
      name: 'orchestrators-are-deterministic',
      severity: 'error',
      from: { path: '^orchestrations/' },
      // An allow-list: durable-functions, the pure domain, and a feature's contract (activity names, inputs, outputs)
      // and ports (types). Anything else could bring in I/O, time or randomness (security, config, use cases, SDKs).
      to: {
        pathNot:
          '^orchestrations/|^shared/domain/|^shared/(accounts|activation|discovery|mapping|email|health|sync)/(contract|ports)\\.ts$|(^|/)node_modules/durable-functions/|^durable-functions$',
      },
    },
    {
      name: 'web-plumbing-is-for-triggers',
      severity: 'error',
      from: { path: '^(shared|activities)/', pathNot: '^shared/(http|api|pages|domain)/' },
      to: { path: WEB_PLUMBING },
    },
    {
      name: 'product-does-not-import-local-runtime',
      severity: 'error',
      from: { path: '^(functions|orchestrations|activities|shared)/' },
      to: { path: '^(local|tests)/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Resolve package "exports" (e.g. csv-parse/sync): an unresolved import would escape every rule above.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['require', 'node', 'default'] },
    tsPreCompilationDeps: true,
    exclude: { path: '\\.d\\.ts$' },
  },
};

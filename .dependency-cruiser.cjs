/**
 * Layer rules (checked by `npm test`):
 * - shared/domain is pure: no SDKs, no Node I/O, nothing from the outer layers;
 * - triggers (functions/) reach storage and Microsoft only through use cases and the composition root;
 * - orchestrators stay deterministic: no SDKs or adapters, only the durable-functions SDK and the domain;
 * - nothing in the product imports the local runtime or tests.
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      severity: 'error',
      from: { path: '^shared/domain' },
      to: {
        path: '^(functions|orchestrations|activities|local|tests)/|^shared/(storage|microsoft|email|secrets|http|container)|node_modules|^(fs|http|https|net|child_process|crypto)$',
        // Pure computation libraries, no I/O: zod (validation), libphonenumber-js (numbering plans shipped as data),
        // csv-parse's sync API (string in, records out; its stream API is not allowed).
        pathNot: '^node_modules/(zod|libphonenumber-js)/|^node_modules/csv-parse/dist/cjs/sync\\.cjs$',
      },
    },
    {
      name: 'triggers-use-no-adapters',
      severity: 'error',
      from: { path: '^functions/' },
      to: {
        path: '^shared/(storage|microsoft|email|secrets)/|@azure/(data-tables|identity|keyvault-secrets|communication-email|msal-node)|@microsoft/microsoft-graph-client',
      },
    },
    {
      name: 'orchestrators-are-deterministic',
      severity: 'error',
      from: { path: '^orchestrations/' },
      to: {
        path: '^shared/(storage|microsoft|email|secrets|container)|@azure/(data-tables|identity|keyvault-secrets|communication-email|msal-node)|@microsoft/microsoft-graph-client|^(fs|http|https|net|crypto)$',
      },
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

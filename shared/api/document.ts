/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the endpoints validate with. The routes are listed
 * here in the order the document shows them. 3.1, not 3.0: its schemas are JSON Schema 2020-12, which can say "this
 * reference or null" (3.0's `nullable` cannot stand beside a `$ref`), so generated clients see every null we send.
 */
import { OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import './accounts/routes';
import './mapping/routes';
import './discovery/routes';
import './voiceUsers/routes';
import './sync/routes';
import './sync/start';
import { registry } from './registry';

export function openApiDocument(version: string): unknown {
  const { webhooks, ...document } = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Teams Voice Sync API',
      version,
      description: 'Portal-backend API of Teams Voice Sync. Errors are RFC 9457 problems with a stable code.',
      // No licence file and a private package.json: not offered under an open licence (an SPDX LicenseRef says so).
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/api' }],
  });
  return Object.keys(webhooks ?? {}).length ? { ...document, webhooks } : document; // no webhooks: no empty member
}

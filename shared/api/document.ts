/**
 * The OpenAPI 3 document, generated from the same zod schemas the endpoints validate with. The routes are listed
 * here in the order the document shows them.
 */
import { OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import './accounts/routes';
import './mapping/routes';
import './discovery/routes';
import './voiceUsers/routes';
import { registry } from './registry';

export function openApiDocument(version: string): unknown {
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      title: 'Teams Voice Sync API',
      version,
      description: 'Portal-backend API of Teams Voice Sync. Errors are RFC 9457 problems with a stable code.',
    },
    servers: [{ url: '/api' }],
  });
}

/**
 * Key Vault secret names of run tokens: `sync-{runId}-{resource slug}`. Key Vault allows 1-127 of [0-9a-zA-Z-] and
 * compares names without case, so everything is lower case. The slug is readable (the resource without its scheme,
 * other characters as dashes, at most 48) plus 8 hex digits of the resource's SHA-256, so two resources that read
 * alike ("https://x" and "x/") still get names of their own.
 */
import { createHash } from 'node:crypto';

export const TOKEN_PURPOSE = 'sync-token';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const READABLE_MAX = 48;
/** A tag value holds at most 256 characters; the resource is one. */
export const RESOURCE_MAX = 256;

export const isRunId = (runId: string): boolean => GUID.test(runId);

export const isResource = (resource: string): boolean =>
  resource.length > 0 && resource.length <= RESOURCE_MAX && resource.trim() === resource;

export function resourceSlug(resource: string): string {
  const readable = resource
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/[^0-9a-z]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, READABLE_MAX)
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(resource).digest('hex').slice(0, 8);
  return readable ? `${readable}-${hash}` : hash;
}

/** The prefix every secret of the run starts with. */
export const runPrefix = (runId: string): string => `sync-${runId.toLowerCase()}-`;

export function tokenSecretName(runId: string, resource: string): string {
  if (!isRunId(runId)) throw new Error('A run id is a GUID.');
  return `${runPrefix(runId)}${resourceSlug(resource)}`;
}

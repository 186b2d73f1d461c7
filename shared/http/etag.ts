/** ETags of versioned resources (an account, a mapping) are their version number in quotes; If-Match reads them back. */
import { IfMatch } from '../domain/version';
import { fail, ok, Result } from '../domain/errors';
import { ProblemCode } from './problem';

export const versionEtag = (version: number): string => `"${version}"`;

/** Reads an If-Match header ("3", W/"3" or *). */
export function versionFromIfMatch(header: string | null): IfMatch | 'invalid' {
  if (header === null) return undefined;
  if (header.trim() === '*') return 'any';
  // Any number of digits: a version we never issued is stale (412), not malformed.
  const m = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(header);
  return m ? Number(m[1]) : 'invalid';
}

type Headers = { get(name: string): string | null };

const malformed = (resource: string) =>
  fail<never, ProblemCode>('VALIDATION_FAILED', `If-Match must be an ETag from this API (the ${resource} version), e.g. "3".`, {
    header: 'if-match',
  });

/** An optional If-Match: a version, `any`, or none. */
export function optionalIfMatch(headers: Headers, resource: string): Result<IfMatch, ProblemCode> {
  const version = versionFromIfMatch(headers.get('if-match'));
  return version === 'invalid' ? malformed(resource) : ok(version);
}

/** A required If-Match naming a version: without it, one admin could silently undo another's work. */
export function requiredIfMatch(headers: Headers, resource: string): Result<number, ProblemCode> {
  const version = versionFromIfMatch(headers.get('if-match'));
  if (version === 'invalid') return malformed(resource);
  if (version === undefined || version === 'any') {
    return fail('PRECONDITION_REQUIRED', `Send If-Match with the ETag of the ${resource} you read.`);
  }
  return ok(version);
}

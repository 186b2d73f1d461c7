/** ETags of versioned resources (an account, a mapping) are their version number in quotes; If-Match reads them back. */

/** An If-Match precondition: a version, `any` ("*": the resource must exist), or none. */
export type IfMatch = number | 'any' | undefined;

export const versionEtag = (version: number): string => `"${version}"`;

/** Reads an If-Match header ("3", W/"3" or *). */
export function versionFromIfMatch(header: string | null): IfMatch | 'invalid' {
  if (header === null) return undefined;
  if (header.trim() === '*') return 'any';
  const m = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(header);
  return m ? Number(m[1]) : 'invalid';
}

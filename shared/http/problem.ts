/** RFC 9457 problem details with a stable machine-readable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  correlationId?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problem(
  status: number,
  code: string,
  title: string,
  extra: Omit<Partial<Problem>, 'status' | 'code' | 'title'> = {},
): Problem {
  return { type: `urn:teams-voice-sync:problem:${code.toLowerCase().replace(/_/g, '-')}`, title, status, code, ...extra };
}

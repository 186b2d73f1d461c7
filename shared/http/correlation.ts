/** Every request gets a correlation id: the caller's `x-correlation-id` when it is sane, a new one otherwise. */
import { randomUUID } from 'node:crypto';

export const CORRELATION_HEADER = 'x-correlation-id';

export function correlationId(headers: { get(name: string): string | null }): string {
  const given = headers.get(CORRELATION_HEADER);
  return given && /^[A-Za-z0-9._-]{1,100}$/.test(given) ? given : randomUUID();
}

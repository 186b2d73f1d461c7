/** Transport-neutral request/response shapes used by every simulated service (also by Graph $batch). */
export interface SimRequest {
  service: ServiceName;
  method: string;
  /** path without query, as received (percent-decoding left to handlers) */
  path: string;
  query: URLSearchParams;
  /** header names lower-cased */
  headers: Record<string, string>;
  rawBody: string;
  /** origin the client used, e.g. https://localhost:1234 */
  origin: string;
  /** original path + query string */
  url: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** raw body (HTML, text); wins over body */
  text?: string;
  /** not to be written to the request log (for example the tenant a request was about) */
  tenantId?: string;
}

export type ServiceName = 'entra' | 'graph' | 'teams' | 'email' | 'keyVault' | 'arm' | 'control';
export const SERVICE_NAMES: ServiceName[] = ['entra', 'graph', 'teams', 'email', 'keyVault', 'arm', 'control'];

export type Handler = (req: SimRequest) => Promise<SimResponse> | SimResponse;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): SimResponse {
  return { status, body, headers };
}

export function html(status: number, text: string, headers: Record<string, string> = {}): SimResponse {
  return { status, text, headers: { 'content-type': 'text/html; charset=utf-8', ...headers } };
}

export function parseJsonBody(req: SimRequest): { ok: true; value: unknown } | { ok: false; error: string } {
  if (!req.rawBody) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(req.rawBody) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

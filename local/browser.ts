/**
 * A minimal browser for HTTP-level flows (tests and benchmarks): a cookie jar per origin and manual redirects, so
 * each hop of an OAuth round trip (our app ↔ the simulated Microsoft) can be inspected and replayed.
 */
import { parse } from 'cookie';

export interface Hop {
  url: string;
  status: number;
  location: string | undefined;
  body: string;
}

export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  cookies(url: string): Map<string, string> {
    const origin = new URL(url).host;
    if (!this.jar.has(origin)) this.jar.set(origin, new Map());
    return this.jar.get(origin) as Map<string, string>;
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Hop> {
    const jar = this.cookies(url);
    const headers: Record<string, string> = {};
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = Object.entries(parse(pair ?? ''))[0] ?? [];
      if (name && value !== undefined) jar.set(name, value);
    }
    const location = res.headers.get('location') ?? undefined;
    return { url, status: res.status, location: location ? new URL(location, url).toString() : undefined, body: await res.text() };
  }

  /** Follows redirects from `url` until a page answers, or `stopAt` matches a redirect target (not requested). */
  async follow(url: string, stopAt?: RegExp): Promise<{ hops: Hop[]; last: Hop; stoppedAt?: string }> {
    const hops: Hop[] = [];
    let next: string | undefined = url;
    for (let i = 0; next && i < 10; i++) {
      const hop = await this.request(next);
      hops.push(hop);
      next = hop.status >= 300 && hop.status < 400 ? hop.location : undefined;
      if (next && stopAt?.test(next)) return { hops, last: hop, stoppedAt: next };
    }
    return { hops, last: hops[hops.length - 1] as Hop };
  }
}

/** The value of a hidden form field in a page. */
export function formField(html: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replace(/&amp;/g, '&');
}

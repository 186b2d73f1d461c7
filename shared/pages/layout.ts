/** The shell of every browser page: accessible, readable without CSS or JavaScript, brand from configuration. */
import { html, SafeHtml } from './html';

export interface PageBrand {
  providerName: string;
  supportContact: string;
}

/** What every page of the site needs: the brand, and the origins a form may lead the browser to. */
export interface PageSite {
  brand: PageBrand;
  formTargets: string[];
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1b1f24;line-height:1.5}
header{background:#1f3a5f;color:#fff;padding:1rem 1.5rem}header p{margin:0;font-weight:600}
main{max-width:42rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.5rem;margin-top:0}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}
.status{display:inline-block;padding:.15rem .6rem;border-radius:1rem;background:#e8eef7;font-weight:600}
.status.bad{background:#fde7e9;color:#8a1c25}.status.good{background:#e6f4ea;color:#1e5c2f}
button{font-size:1rem;padding:.6rem 1.4rem;border:0;border-radius:6px;background:#1f5fbf;color:#fff;cursor:pointer}
button:focus-visible,a:focus-visible{outline:3px solid #f2b600;outline-offset:2px}
form{margin:.75rem 0}.error{border-left:4px solid #c4314b;padding-left:1rem}footer{max-width:42rem;margin:0 auto 2rem;color:#555;font-size:.9rem;padding:0 2rem}
`;

export function layout(brand: PageBrand, title: string, body: SafeHtml, options: { refreshSeconds?: number } = {}): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        ${options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}" />` : ''}
        <title>${title} – ${brand.providerName}</title>
        <style>
          ${new SafeHtml(STYLE)}
        </style>
      </head>
      <body>
        <header><p>${brand.providerName} · Microsoft Teams integration</p></header>
        <main id="main">${body}</main>
        <footer><p>Questions? Contact ${brand.supportContact}.</p></footer>
      </body>
    </html> `.value;
}

/** Headers for every page: no caching (links and states are personal), no framing, no third-party anything. */
/**
 * Headers of every page. No script at all; forms may only post to us, and the browser may only be sent on from a
 * form to `formTargets` (the Microsoft authority our "Authorize" redirects to).
 */
export function pageHeaders(formTargets: string[]): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${["'self'", ...formTargets].join(' ')}; frame-ancestors 'none'; base-uri 'none'`,
    'referrer-policy': 'no-referrer',
  };
}

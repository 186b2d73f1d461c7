/**
 * A tiny document model for emails: each template builds blocks once and gets both an HTML and a plain-text body.
 * Every value is escaped in the HTML; links are only ever http(s).
 */
import { escapeHtml } from '../security/escapeHtml';

export type Block =
  | { kind: 'paragraph'; text: string }
  | { kind: 'steps'; items: string[] }
  | { kind: 'facts'; items: [label: string, value: string][] }
  | { kind: 'button'; label: string; href: string };

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

function safeHref(href: string): string {
  const url = new URL(href);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('Email links must be http(s).');
  return url.toString();
}

export function render(subject: string, greeting: string, blocks: Block[], footer: string): RenderedEmail {
  const html: string[] = [];
  const text: string[] = [greeting, ''];
  for (const block of blocks) {
    switch (block.kind) {
      case 'paragraph':
        html.push(`<p>${escapeHtml(block.text)}</p>`);
        text.push(block.text, '');
        break;
      case 'steps':
        html.push(`<ol>${block.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ol>`);
        text.push(...block.items.map((item, n) => `${n + 1}. ${item}`), '');
        break;
      case 'facts':
        html.push(`<ul>${block.items.map(([l, v]) => `<li>${escapeHtml(l)}: <strong>${escapeHtml(v)}</strong></li>`).join('')}</ul>`);
        text.push(...block.items.map(([l, v]) => `- ${l}: ${v}`), '');
        break;
      case 'button': {
        const href = safeHref(block.href);
        html.push(
          `<p><a href="${escapeHtml(href)}" style="display:inline-block;padding:10px 18px;background:#464775;color:#ffffff;text-decoration:none;border-radius:4px">${escapeHtml(block.label)}</a></p>`,
        );
        text.push(`${block.label}: ${href}`, '');
        break;
      }
    }
  }
  text.push('--', footer);
  return {
    subject,
    html: `<!doctype html><html lang="en"><body style="font-family:Segoe UI,Arial,sans-serif;font-size:14px;color:#252423"><p>${escapeHtml(greeting)}</p>${html.join('')}<hr><p style="color:#605e5c;font-size:12px">${escapeHtml(footer)}</p></body></html>`,
    text: text.join('\n'),
  };
}

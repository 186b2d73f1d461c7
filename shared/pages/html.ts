/** Safe HTML templating for the server-rendered pages: every interpolated value is escaped unless already safe. */
import { escapeHtml } from '../security/escapeHtml';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Value = SafeHtml | string | number | null | undefined | false | Value[];

const piece = (v: Value): string =>
  v === null || v === undefined || v === false
    ? ''
    : v instanceof SafeHtml
      ? v.value
      : Array.isArray(v)
        ? v.map(piece).join('')
        : escapeHtml(String(v));

export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  return new SafeHtml(strings.reduce((out, s, i) => out + s + (i < values.length ? piece(values[i]) : ''), ''));
}

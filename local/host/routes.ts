/**
 * HTTP route templates as the Functions host reads them: literal segments (case-insensitive), `{name}`,
 * optional `{name?}`, constrained `{name:int}` / `{name:guid}` / `{name:alpha}`, and a trailing catch-all `{*name}`.
 */
export interface RouteMatcher {
  template: string;
  match(path: string): Record<string, string> | undefined;
  /** Literal routes win over parameterised ones, as in ASP.NET routing. */
  specificity: number;
}

const CONSTRAINTS: Record<string, RegExp> = {
  int: /^-?\d+$/,
  long: /^-?\d+$/,
  guid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  alpha: /^[a-z]+$/i,
  bool: /^(true|false)$/i,
};

interface Segment {
  literal?: string;
  param?: string;
  optional?: boolean;
  catchAll?: boolean;
  constraint?: RegExp;
}

function parseSegment(raw: string): Segment {
  const m = /^\{(\*)?([A-Za-z_][\w]*)(?::([a-z]+))?(\?)?\}$/.exec(raw);
  if (!m) return { literal: raw.toLowerCase() };
  const [, star, name, constraint, optional] = m;
  return { param: name, catchAll: !!star, optional: !!optional || !!star, constraint: constraint ? CONSTRAINTS[constraint] : undefined };
}

export function compileRoute(template: string): RouteMatcher {
  const segments = template.split('/').filter(Boolean).map(parseSegment);
  return {
    template,
    specificity: segments.filter((s) => s.literal).length * 10 - segments.filter((s) => s.optional).length,
    match(path: string) {
      const parts = decodedSegments(path);
      if (!parts) return undefined;
      const params: Record<string, string> = {};
      for (let i = 0; i < segments.length; i++) {
        const seg = segments[i];
        const part = parts[i];
        if (seg.catchAll) {
          if (parts.length > i) params[seg.param as string] = parts.slice(i).join('/');
          return params;
        }
        if (part === undefined) {
          if (seg.optional) continue;
          return undefined;
        }
        if (seg.literal !== undefined) {
          if (part.toLowerCase() !== seg.literal) return undefined;
        } else {
          if (seg.constraint && !seg.constraint.test(part)) return undefined;
          params[seg.param as string] = part;
        }
      }
      return parts.length <= segments.length ? params : undefined;
    },
  };
}

/** The path's segments, percent-decoded; null when an encoding is malformed (the host answers 400, as Azure's does). */
export function decodedSegments(path: string): string[] | null {
  try {
    return path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return null;
  }
}

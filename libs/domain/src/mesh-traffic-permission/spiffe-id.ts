/**
 * Why `value` is not a SPIFFE ID (`spiffe://{trust domain}{/path segments}`), worded as go-spiffe words
 * it; undefined when it is one.
 */
export function spiffeIdProblem(value: string): string | undefined {
  if (value === '') return 'cannot be empty';
  const scheme = 'spiffe://';
  if (!value.startsWith(scheme)) return 'scheme is missing or invalid';
  const rest = value.slice(scheme.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash < 0 ? rest : rest.slice(0, slash);
  if (!/^[a-z0-9._-]*$/.test(trustDomain)) {
    return 'trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores';
  }
  if (trustDomain === '') return 'trust domain is missing';
  if (slash < 0) return undefined;
  const segments = rest.slice(slash + 1).split('/');
  for (const [i, segment] of segments.entries()) {
    if (segment === '') {
      return i === segments.length - 1
        ? 'path cannot have a trailing slash'
        : 'path cannot contain empty segments';
    }
    if (segment === '.' || segment === '..') return 'path cannot contain dot segments';
    if (!/^[a-zA-Z0-9._-]+$/.test(segment)) {
      return 'path segment characters are limited to letters, numbers, dots, dashes, and underscores';
    }
  }
  return undefined;
}

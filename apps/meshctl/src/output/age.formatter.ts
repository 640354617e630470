const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * How long ago `since` was, in the largest whole unit: `45s`, `3m`, `2h`, `5d`. `-` when the time is
 * missing or unreadable; a time in the future (clock skew) counts as `0s`.
 */
export function formatAge(since: unknown, now: Date): string {
  if (typeof since !== 'string' || since === '') return '-';
  const at = Date.parse(since);
  if (Number.isNaN(at)) return '-';
  const ms = Math.max(0, now.getTime() - at);
  if (ms < MINUTE) return `${Math.floor(ms / SECOND)}s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)}m`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)}h`;
  return `${Math.floor(ms / DAY)}d`;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A duration as kumactl prints it, in the largest whole unit: `45s`, `3m`, `2h`, `5d`, `2y` (a year is
 * 365 days). A small negative duration (clock skew under a second) is `0s`; a larger one, `never`.
 */
export function formatDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return 'never';
  if (seconds < 0 || ms < 0) return '0s';
  if (ms < MINUTE) return `${seconds}s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)}m`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)}h`;
  const hours = Math.floor(ms / HOUR);
  if (hours < 24 * 365) return `${Math.floor(hours / 24)}d`;
  return `${Math.floor(hours / 24 / 365)}y`;
}

function parsed(since: unknown): number | undefined {
  if (typeof since !== 'string' || since === '') return undefined;
  const at = Date.parse(since);
  return Number.isNaN(at) ? undefined : at;
}

/** How long ago `since` was (kumactl's AGE); `-` when the time is missing or unreadable. */
export function formatAge(since: unknown, now: Date): string {
  const at = parsed(since);
  return at === undefined ? '-' : formatDuration(now.getTime() - at);
}

/** kumactl's `... AGO` columns: as formatAge, but `never` when there is no time (it never happened). */
export function formatAgo(since: unknown, now: Date): string {
  const at = parsed(since);
  return at === undefined ? 'never' : formatDuration(now.getTime() - at);
}

/**
 * kumactl's date cells, `2006-01-02 15:04:05` in the local time zone (`TZ`); `-` when missing or
 * unreadable.
 */
export function formatDate(value: unknown): string {
  const at = parsed(value);
  if (at === undefined) return '-';
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  );
}

/**
 * Durations as Kuma's Mesh writes them: a whole number and one unit, `30d`, `10y`, `500ms`.
 * A year is 365 days; there is no month (`m` is minutes).
 */
const UNIT_MS = {
  y: 365 * 24 * 3_600_000,
  w: 7 * 24 * 3_600_000,
  d: 24 * 3_600_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
} as const;
type DurationUnit = keyof typeof UNIT_MS;

const DURATION_PATTERN = /^(\d+)(y|w|d|h|ms|m|s)$/;

/** Milliseconds of a duration such as `30d`, or `undefined` when the text is not a valid duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  if (match === null) {
    return undefined;
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as DurationUnit];
  // Beyond 2^53 the arithmetic is no longer exact, and no certificate lives that long.
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The shortest exact text for a number of milliseconds: 2_592_000_000 gives `30d`, 90_000 gives `90s`. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new RangeError(`cannot format ${ms} ms as a duration`);
  }
  if (ms === 0) {
    return '0s';
  }
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    if (ms % size === 0) {
      return `${ms / size}${unit}`;
    }
  }
  return `${ms}ms`;
}

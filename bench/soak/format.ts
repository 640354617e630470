/** Number formatting shared by the progress lines, the verdict reasons and the report. */

export function mb(bytes: number): string {
  return Number.isNaN(bytes) ? '?' : (bytes / 2 ** 20).toFixed(1);
}

export function count(n: number): string {
  return Number.isNaN(n) ? '?' : String(Math.round(n * 10) / 10);
}

export function signed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return '?';
  const s = x.toFixed(digits);
  return x > 0 && Number(s) !== 0 ? `+${s}` : Number(s) === 0 ? (0).toFixed(digits) : s;
}

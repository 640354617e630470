/** Columns are separated by this many spaces, as kubectl and kumactl do. */
const GAP = 3;

/**
 * A plain-text table laid out as kumactl's (Go's tabwriter, padding 3): a header row, then one row per
 * item; every cell but a row's last is padded to its column's widest cell and the gap, so a row whose
 * last cells are empty keeps the padding kumactl prints. Cells never contain newlines (they are
 * replaced), so one item stays one line.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  if (headers.length === 0 && rows.length === 0) return '';
  const clean = [headers, ...rows].map((row) =>
    headers.map((_, i) => (row[i] ?? '').replace(/\s*\n\s*/g, ' ')),
  );
  const widths = headers.map((_, i) => Math.max(...clean.map((row) => [...row[i]].length)));
  return clean
    .map((row) =>
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] + GAP - [...cell].length),
        )
        .join(''),
    )
    .map((line) => `${line}\n`)
    .join('');
}

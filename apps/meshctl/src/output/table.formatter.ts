/** Columns are separated by this many spaces, as kubectl and kumactl do. */
const GAP = 3;

/**
 * A plain-text table: a header row, then one row per item, columns padded to their widest cell,
 * no trailing spaces. Cells never contain newlines (they are replaced), so one item stays one line.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const clean = [headers, ...rows].map((row) =>
    headers.map((_, i) => (row[i] ?? '').replace(/\s*\n\s*/g, ' ')),
  );
  const widths = headers.map((_, i) => Math.max(...clean.map((row) => row[i].length)));
  return clean
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] + GAP)))
        .join('')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

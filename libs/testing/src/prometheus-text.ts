/**
 * The sum of the samples of metric `name` in a Prometheus text exposition whose labels contain every one
 * of `labels` (e.g. `reason="handshake"`; none: every series).
 */
export function metricSum(text: string, name: string, labels: string | readonly string[] = ''): number {
  const wanted = typeof labels === 'string' ? [labels] : labels;
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (\S+)$/i.exec(line);
    if (match?.[1] === name && wanted.every((l) => (match[2] ?? '').includes(l))) sum += Number(match[3]);
  }
  return sum;
}

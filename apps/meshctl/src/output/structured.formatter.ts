import YAML from 'yaml';

/** The output formats of `get -o`. */
export const OutputFormat = {
  table: 'table',
  yaml: 'yaml',
  json: 'json',
} as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

export function isOutputFormat(value: string): value is OutputFormat {
  return Object.prototype.hasOwnProperty.call(OutputFormat, value);
}

export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** YAML with long strings (certificates, base64) kept on one line so they paste back unchanged. */
export function formatYaml(value: unknown): string {
  return YAML.stringify(value, { lineWidth: 0 });
}

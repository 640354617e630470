import { MeshError } from '@meshtls/util';
import { ApiError, ApplyError, DocumentError } from '../cli-errors';

/**
 * The text printed for an error: `Error: <message>`, then one `  * field: message` line per cause.
 * Expected errors (every MeshError) never show a stack; an unexpected one does only with `debug`.
 */
export function formatError(err: unknown, debug = false): string {
  if (err instanceof ApplyError) return formatError(err.cause, debug) + formatApplySummary(err);
  if (err instanceof ApiError) return formatApiError(err);
  if (err instanceof DocumentError && err.problems.length > 1) {
    return `Error: ${err.message}; nothing was sent\n${err.problems.map((p) => `  * ${p}\n`).join('')}`;
  }
  if (err instanceof DocumentError) return `Error: ${err.message}; nothing was sent\n`;
  if (err instanceof MeshError) return `Error: ${err.message}\n`;
  const message = err instanceof Error ? err.message : String(err);
  const stack = debug && err instanceof Error && err.stack ? `${err.stack}\n` : '';
  return `Error: ${message}\n${stack}`;
}

function formatApiError(err: ApiError): string {
  const lines = [`Error: ${err.message}`];
  for (const cause of err.causes) {
    lines.push(cause.field ? `  * ${cause.field}: ${cause.message}` : `  * ${cause.message}`);
  }
  const hint = hintFor(err.status);
  if (hint) lines.push(hint);
  return `${lines.join('\n')}\n`;
}

function hintFor(status: number): string | undefined {
  if (status === 401) return 'Hint: give a token with --token, MESHCTL_TOKEN or `meshctl config set --token`';
  if (status === 403)
    return 'Hint: the token is valid but not allowed to do this (secrets need an admin token)';
  return undefined;
}

function formatApplySummary(err: ApplyError): string {
  const lines = [`Failed on ${err.failedOn}`];
  lines.push(
    err.applied.length > 0 ? `Applied before the failure: ${err.applied.join(', ')}` : 'Nothing was applied.',
  );
  if (err.notAttempted > 0) lines.push(`Not attempted: ${err.notAttempted} more document(s)`);
  return `${lines.join('\n')}\n`;
}

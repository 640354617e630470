import { MeshError } from '@meshtls/util';

/** One entry of `invalid_parameters` / `causes`. */
export interface ApiCause {
  readonly field: string;
  readonly message: string;
}

/** Kuma's error body (`/std-errors`), with both the new (`detail`, `invalid_parameters`) and old (`details`, `causes`) fields. */
export interface ApiErrorBody {
  readonly type: '/std-errors';
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly details: string;
  readonly invalid_parameters?: readonly { field: string; reason: string }[];
  readonly causes?: readonly ApiCause[];
}

/** An error meant for the HTTP edge: a status, a title and a user-facing detail (never a secret). */
export class ApiError extends MeshError {
  readonly code = 'http.error';

  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly causes: readonly ApiCause[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
  }
}

export function apiErrorBody(
  status: number,
  title: string,
  detail: string,
  causes: readonly ApiCause[] = [],
): ApiErrorBody {
  // Fields in the order Kuma writes them.
  if (causes.length === 0) return { type: '/std-errors', status, title, detail, details: detail };
  return {
    type: '/std-errors',
    status,
    title,
    detail,
    invalid_parameters: causes.map((c) => ({ field: c.field, reason: c.message })),
    details: detail,
    causes,
  };
}

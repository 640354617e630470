import {
  FieldPath,
  NameLimits,
  ValidationContext,
  ValidationError,
  validateResourceName,
} from '@meshtls/domain';

const DAY_MS = 24 * 3_600_000;

/** How long a dataplane token is valid: a year unless asked, never more than ten (Kuma's default). */
export const DATAPLANE_TOKEN_VALIDITY = {
  defaultMs: 365 * DAY_MS,
  maxMs: 10 * 365 * DAY_MS,
} as const;

/** What to issue a token for. */
export interface IssueDataplaneTokenCommand {
  readonly mesh: string;
  readonly name: string;
  /** Tags every inbound of the dataplane must carry (e.g. `kuma.io/service: web`). */
  readonly tags?: Readonly<Record<string, string>>;
  /** Default `DATAPLANE_TOKEN_VALIDITY.defaultMs`. */
  readonly validForMs?: number;
}

/** A command that passed `validateIssueCommand`, defaults applied. */
export interface CheckedIssueCommand {
  readonly mesh: string;
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly validForMs: number;
}

export const TokenRequestMessages = {
  invalid: 'Token request is not valid',
  tagNameEmpty: 'tag name must be non-empty',
  tagValueEmpty: 'tag value cannot be empty',
  validForPositive: 'must be positive',
  validForWhole: 'must be a whole number of milliseconds',
  validForMax: 'cannot be longer than 10y',
} as const;

/**
 * Checks a command with the fields a user sent (`mesh`, `name`, `tags[...]`, `validFor`) and applies the
 * defaults; throws a `ValidationError` with every problem.
 */
export function validateIssueCommand(command: IssueDataplaneTokenCommand): CheckedIssueCommand {
  const ctx = new ValidationContext();
  const { mesh, name } = checkTokenNames(ctx, command.mesh, command.name);
  const tags = command.tags ?? {};
  checkTokenTags(ctx, tags, FieldPath.at('tags'));
  const validForMs = command.validForMs ?? DATAPLANE_TOKEN_VALIDITY.defaultMs;
  checkValidity(ctx, validForMs, FieldPath.at('validFor'));
  throwIfInvalid(ctx);
  return { mesh: mesh as string, name: name as string, tags: { ...tags }, validForMs };
}

/** The mesh and dataplane a token is for: resource names, as Kuma checks them. */
export function checkTokenNames(
  ctx: ValidationContext,
  mesh: unknown,
  name: unknown,
): { mesh?: string; name?: string } {
  return {
    mesh: validateResourceName(ctx, mesh, FieldPath.at('mesh'), NameLimits.mesh),
    name: validateResourceName(ctx, name, FieldPath.at('name'), NameLimits.resource),
  };
}

/** Tag names and values of a token: non-empty strings (Kuma's Dataplane rules forbid empty ones too). */
export function checkTokenTags(
  ctx: ValidationContext,
  tags: Readonly<Record<string, unknown>>,
  path: FieldPath,
): void {
  for (const [tag, value] of Object.entries(tags)) {
    if (tag === '') ctx.add(path.key(tag), TokenRequestMessages.tagNameEmpty);
    else if (typeof value !== 'string' || value === '') {
      ctx.add(path.key(tag), TokenRequestMessages.tagValueEmpty);
    }
  }
}

/** A validity: a whole, positive number of milliseconds, at most ten years. */
export function checkValidity(ctx: ValidationContext, ms: number, path: FieldPath): void {
  if (!Number.isInteger(ms)) ctx.add(path, TokenRequestMessages.validForWhole);
  else if (ms <= 0) ctx.add(path, TokenRequestMessages.validForPositive);
  else if (ms > DATAPLANE_TOKEN_VALIDITY.maxMs) ctx.add(path, TokenRequestMessages.validForMax);
}

/** Like `ctx.throwIfInvalid`, with a message about the request rather than a resource. */
export function throwIfInvalid(ctx: ValidationContext): void {
  if (ctx.hasViolations) throw new ValidationError([...ctx.violations], TokenRequestMessages.invalid);
}

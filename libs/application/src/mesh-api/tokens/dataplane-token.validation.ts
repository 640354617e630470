import {
  FieldPath,
  NameLimits,
  ValidationContext,
  ValidationError,
  validateResourceName,
} from '@meshtls/domain';

const DAY_MS = 24 * 3_600_000;

/**
 * How long a dataplane token is valid: ten years unless asked (Kuma's default when `validFor` is absent,
 * kept for compatibility with tokens made before it was asked for), never more.
 */
export const DATAPLANE_TOKEN_VALIDITY = {
  defaultMs: 10 * 365 * DAY_MS,
  maxMs: 10 * 365 * DAY_MS,
} as const;

/** The proxy types a token may be asked for; Kuma's `ingress` and `egress` have no counterpart here. */
export const DATAPLANE_PROXY_TYPE = 'dataplane';

/** What to issue a token for. */
export interface IssueDataplaneTokenCommand {
  readonly mesh: string;
  /** The Dataplane it is for; empty or absent: any dataplane of the mesh (bound by tags if any). */
  readonly name?: string;
  /** Per tag, the values the dataplane's inbounds may carry (e.g. `kuma.io/service: [web, api]`). */
  readonly tags?: Readonly<Record<string, readonly string[]>>;
  /** `dataplane`, or empty (Kuma's `type`). */
  readonly type?: string;
  /** The `kuma.io/workload` label the Dataplane must carry; empty or absent: any. */
  readonly workload?: string;
  /** Default `DATAPLANE_TOKEN_VALIDITY.defaultMs`. */
  readonly validForMs?: number;
}

/** A command that passed `validateIssueCommand`, defaults applied, tag values sorted and distinct. */
export interface CheckedIssueCommand {
  readonly mesh: string;
  readonly name: string;
  readonly tags: Readonly<Record<string, readonly string[]>>;
  readonly type: string;
  readonly workload: string;
  readonly validForMs: number;
}

export const TokenRequestMessages = {
  invalid: 'Token request is not valid',
  tagNameEmpty: 'tag name must be non-empty',
  tagNoValue: 'must have a value',
  tagValueEmpty: 'tag value cannot be empty',
  validForPositive: 'must be positive',
  validForWhole: 'must be a whole number of milliseconds',
  validForMax: 'cannot be longer than 10y',
  typeUnsupported:
    'only "dataplane" tokens are supported: zone ingress and egress authenticate with zone tokens',
  typeInvalid: 'is not a valid proxy type',
  workload:
    'must be a label value: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
} as const;

const LABEL_VALUE = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * Checks a command with the fields a user sent (`mesh`, `name`, `tags[...]`, `type`, `workload`,
 * `validFor`) and applies the defaults; throws a `ValidationError` with every problem.
 */
export function validateIssueCommand(command: IssueDataplaneTokenCommand): CheckedIssueCommand {
  const ctx = new ValidationContext();
  const { mesh, name } = checkTokenNames(ctx, command.mesh, command.name);
  const tags = checkTokenTags(ctx, command.tags ?? {}, FieldPath.at('tags'));
  const type = checkProxyType(ctx, command.type, FieldPath.at('type'));
  const workload = checkWorkload(ctx, command.workload, FieldPath.at('workload'));
  const validForMs = command.validForMs ?? DATAPLANE_TOKEN_VALIDITY.defaultMs;
  checkValidity(ctx, validForMs, FieldPath.at('validFor'));
  throwIfInvalid(ctx);
  return {
    mesh: mesh as string,
    name: name as string,
    tags,
    type: type as string,
    workload: workload as string,
    validForMs,
  };
}

/**
 * The mesh (required) and dataplane (optional, as in Kuma: a token without a name is for any dataplane
 * of the mesh its tags allow) a token is for: resource names, as Kuma checks them.
 */
export function checkTokenNames(
  ctx: ValidationContext,
  mesh: unknown,
  name: unknown,
): { mesh?: string; name?: string } {
  return {
    mesh: validateResourceName(ctx, mesh, FieldPath.at('mesh'), NameLimits.mesh),
    name:
      name === undefined || name === null || name === ''
        ? ''
        : validateResourceName(ctx, name, FieldPath.at('name'), NameLimits.resource),
  };
}

/**
 * Tag names and values of a token: non-empty strings (Kuma's Dataplane rules forbid empty ones too), at
 * least one value per tag. Returns the tags with sorted, distinct values, sorted by name.
 */
export function checkTokenTags(
  ctx: ValidationContext,
  tags: Readonly<Record<string, readonly unknown[]>>,
  path: FieldPath,
): Record<string, readonly string[]> {
  const checked: [string, readonly string[]][] = [];
  for (const tag of Object.keys(tags).sort()) {
    const values = tags[tag];
    if (tag === '') ctx.add(path.key(tag), TokenRequestMessages.tagNameEmpty);
    else if (values.length === 0) ctx.add(path.key(tag), TokenRequestMessages.tagNoValue);
    else if (values.some((v) => typeof v !== 'string' || v === '')) {
      ctx.add(path.key(tag), TokenRequestMessages.tagValueEmpty);
    } else checked.push([tag, [...new Set(values as string[])].sort()]);
  }
  // fromEntries defines own properties: a tag named "__proto__" stays a tag.
  return Object.fromEntries(checked);
}

/** Kuma's `type`: empty or `dataplane` here; Kuma's other proxy types are named as unsupported. */
export function checkProxyType(ctx: ValidationContext, value: unknown, path: FieldPath): string | undefined {
  if (value === undefined || value === null || value === '') return '';
  const type = ctx.string(value, path);
  if (type === undefined || type === DATAPLANE_PROXY_TYPE) return type;
  ctx.add(
    path,
    type === 'ingress' || type === 'egress'
      ? TokenRequestMessages.typeUnsupported
      : TokenRequestMessages.typeInvalid,
  );
  return undefined;
}

/** Kuma's `workload`: empty, or the value of the `kuma.io/workload` label the Dataplane must carry. */
export function checkWorkload(ctx: ValidationContext, value: unknown, path: FieldPath): string | undefined {
  if (value === undefined || value === null || value === '') return '';
  const workload = ctx.string(value, path);
  return ctx.check(workload, path, (w) => LABEL_VALUE.test(w), TokenRequestMessages.workload);
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

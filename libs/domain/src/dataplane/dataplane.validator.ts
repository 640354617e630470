import { isIP } from 'node:net';
import { FieldPath } from '../validation/field-path';
import type { SpecSchema } from '../validation/spec-schema';
import { TagMessages, TagRules, validateTags } from '../validation/tags.validator';
import { ValidationContext, compact, definedItems, isAbsent } from '../validation/validation-context';
import type { DataplaneNetworking, DataplaneSpec, Inbound, Outbound } from './dataplane.types';

export const DataplaneMessages = {
  noInbound: 'has to contain at least one inbound interface or gateway',
  address: 'address has to be valid IP address or domain name',
  port: 'port has to be in range of [1, 65535]',
  servicePort: 'servicePort has to be in range of [0, 65535]',
} as const;

const DATAPLANE_TAG_RULES: TagRules = {
  emptyValueMessage: TagMessages.valueCannotBeEmpty,
  requireService: true,
  checkProtocol: true,
};

const DNS_LABEL = '[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?';
const HOSTNAME_PATTERN = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);

/** A Dataplane's `networking`: an address, at least one inbound, optional outbounds. */
export const DATAPLANE_SPEC: SpecSchema<DataplaneSpec> = {
  fields: ['networking'],
  validate: (ctx, doc) => {
    const networking = validateNetworking(ctx, doc.networking, FieldPath.at('networking'));
    return networking && { networking };
  },
};

function validateNetworking(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
): DataplaneNetworking | undefined {
  const obj = ctx.requiredObject(value, path, ['address', 'inbound', 'outbound']);
  if (obj === undefined) {
    return undefined;
  }
  const address = validateAddress(ctx, obj.address, path.field('address'));
  const inboundList = ctx.array(obj.inbound, path.field('inbound'));
  if (isAbsent(obj.inbound) || inboundList?.length === 0) {
    ctx.add(path, DataplaneMessages.noInbound);
  }
  const inbound = inboundList?.map((item, i) => validateInbound(ctx, item, path.field('inbound').index(i)));
  const outboundList = ctx.array(obj.outbound, path.field('outbound'));
  const outbound = outboundList?.map((item, i) =>
    validateOutbound(ctx, item, path.field('outbound').index(i)),
  );
  if (address === undefined || inbound === undefined) {
    return undefined;
  }
  return compact({ address, inbound: definedItems(inbound), outbound: outbound && definedItems(outbound) });
}

function validateAddress(ctx: ValidationContext, value: unknown, path: FieldPath): string | undefined {
  const address = ctx.requiredString(value, path, DataplaneMessages.address);
  const isHost = (a: string) => isIP(a) !== 0 || (a.length <= 253 && HOSTNAME_PATTERN.test(a));
  return ctx.check(address, path, isHost, DataplaneMessages.address);
}

function validateInbound(ctx: ValidationContext, value: unknown, path: FieldPath): Inbound | undefined {
  const obj = ctx.requiredObject(value, path, ['port', 'name', 'servicePort', 'tags']);
  if (obj === undefined) {
    return undefined;
  }
  const name = ctx.string(obj.name, path.field('name')) || undefined;
  const port = validatePort(ctx, obj.port, path.field('port'), 1, DataplaneMessages.port);
  const servicePort = isAbsent(obj.servicePort)
    ? undefined
    : validatePort(ctx, obj.servicePort, path.field('servicePort'), 0, DataplaneMessages.servicePort);
  const tags = validateTags(ctx, obj.tags, path.field('tags'), DATAPLANE_TAG_RULES);
  if (port === undefined || tags === undefined) {
    return undefined;
  }
  return compact({ port, name, servicePort, tags });
}

function validateOutbound(ctx: ValidationContext, value: unknown, path: FieldPath): Outbound | undefined {
  const obj = ctx.requiredObject(value, path, ['port', 'tags']);
  if (obj === undefined) {
    return undefined;
  }
  const port = validatePort(ctx, obj.port, path.field('port'), 1, DataplaneMessages.port);
  const tags = validateTags(ctx, obj.tags, path.field('tags'), DATAPLANE_TAG_RULES);
  if (port === undefined || tags === undefined) {
    return undefined;
  }
  return { port, tags };
}

/** A port number; a missing one counts as 0, as in Kuma, so it gets the range message. */
function validatePort(
  ctx: ValidationContext,
  value: unknown,
  path: FieldPath,
  min: number,
  rangeMessage: string,
): number | undefined {
  const port = isAbsent(value) ? 0 : ctx.integer(value, path);
  return ctx.check(port, path, (p) => p >= min && p <= 65535, rangeMessage);
}

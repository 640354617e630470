import { FieldPath } from '../validation/field-path';
import { Messages } from '../validation/messages';
import type { SpecSchema } from '../validation/spec-schema';
import { stringList, timestamp } from '../validation/stored-values';
import { isAbsent, type JsonObject, type ValidationContext } from '../validation/validation-context';
import { CA_SWITCH_STATES, CA_SWITCH_WAITING_LISTED } from './ca-switch.types';

/**
 * A stored CaSwitch as the switch rules need it. Only the control plane writes it, so this guards what
 * is read back from the store (anything can be written into the bucket around the API).
 */
export const CA_SWITCH_SPEC: SpecSchema<void> = {
  fields: ['id', 'from', 'to', 'state', 'retained', 'startedAt', 'stateSince'],
  validate(ctx, doc) {
    ctx.requiredString(doc.id, FieldPath.at('id'));
    ctx.string(doc.from, FieldPath.at('from'));
    ctx.requiredString(doc.to, FieldPath.at('to'));
    required(ctx, doc, 'state');
    ctx.oneOf(doc.state, FieldPath.at('state'), CA_SWITCH_STATES);
    const retainedPath = FieldPath.at('retained');
    required(ctx, doc, 'retained');
    ctx.array(doc.retained, retainedPath)?.forEach((item, i) => {
      const at = retainedPath.index(i);
      const anchor = ctx.requiredObject(item, at, ['backend', 'certPem']);
      if (anchor === undefined) return;
      ctx.requiredString(anchor.backend, at.field('backend'));
      const pem = ctx.requiredString(anchor.certPem, at.field('certPem'));
      if (pem !== undefined && !pem.startsWith('-----BEGIN CERTIFICATE-----'))
        ctx.add(at.field('certPem'), 'must be a PEM certificate');
    });
    for (const field of ['startedAt', 'stateSince']) {
      required(ctx, doc, field);
      timestamp(ctx, doc[field], FieldPath.at(field));
    }
  },
};

/** A stored ControlPlaneInstance: a mesh-api replica's heartbeat and its part of every CA switch. */
export const CONTROL_PLANE_INSTANCE_SPEC: SpecSchema<void> = {
  fields: ['instance', 'heartbeatAt', 'caSwitches'],
  validate(ctx, doc) {
    ctx.requiredString(doc.instance, FieldPath.at('instance'));
    required(ctx, doc, 'heartbeatAt');
    timestamp(ctx, doc.heartbeatAt, FieldPath.at('heartbeatAt'));
    const switchesPath = FieldPath.at('caSwitches');
    required(ctx, doc, 'caSwitches');
    const switches = ctx.map(doc.caSwitches, switchesPath);
    for (const [mesh, value] of Object.entries(switches ?? {})) {
      const at = switchesPath.field(mesh);
      const progress = ctx.requiredObject(value, at, ['id', 'state', 'total', 'acknowledged', 'waitingFor']);
      if (progress === undefined) continue;
      ctx.requiredString(progress.id, at.field('id'));
      ctx.oneOf(progress.state, at.field('state'), CA_SWITCH_STATES);
      const total = count(ctx, progress.total, at.field('total'));
      const acknowledged = count(ctx, progress.acknowledged, at.field('acknowledged'));
      if (total !== undefined && acknowledged !== undefined && acknowledged > total)
        ctx.add(at.field('acknowledged'), 'must not exceed total');
      const waiting = ctx.array(progress.waitingFor, at.field('waitingFor'));
      if (isAbsent(progress.waitingFor)) ctx.add(at.field('waitingFor'), Messages.mustBeDefined);
      if (waiting !== undefined && waiting.length > CA_SWITCH_WAITING_LISTED)
        ctx.add(at.field('waitingFor'), `must list at most ${CA_SWITCH_WAITING_LISTED} names`);
      stringList(ctx, progress.waitingFor, at.field('waitingFor'));
    }
  },
};

function required(ctx: ValidationContext, doc: JsonObject, field: string): void {
  if (isAbsent(doc[field])) ctx.add(FieldPath.at(field), Messages.mustBeDefined);
}

function count(ctx: ValidationContext, value: unknown, path: FieldPath): number | undefined {
  if (isAbsent(value)) ctx.add(path, Messages.mustBeDefined);
  const n = ctx.integer(value, path);
  if (n !== undefined && n < 0) {
    ctx.add(path, 'must not be negative');
    return undefined;
  }
  return n;
}

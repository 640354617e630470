import { FieldPath } from '../validation/field-path';
import type { SpecSchema } from '../validation/spec-schema';
import { STREAM_ENDED_REASONS, type StreamEndedReason } from './dataplane-insight.rules';
import { Messages } from '../validation/messages';
import { JsonObject, ValidationContext, isAbsent } from '../validation/validation-context';
import { stringList, timestamp } from '../validation/stored-values';

/**
 * A stored DataplaneInsight spec as the insight rules need it: subscriptions with ids and times, the
 * mTLS counters, the serials already counted. The control plane writes it and users only read it, so
 * this guards what is read back from the store, not what the API accepts.
 */
export const DATAPLANE_INSIGHT_SPEC: SpecSchema<void> = {
  fields: [
    'subscriptions',
    'mTLS',
    'countedSerials',
    'certificateNotBefore',
    'replacedStreams',
    'lastReplacedTime',
  ],
  validate: validateInsight,
};

function validateInsight(ctx: ValidationContext, doc: JsonObject): void {
  const subscriptionsPath = FieldPath.at('subscriptions');
  const subscriptions = ctx.array(doc.subscriptions, subscriptionsPath);
  if (isAbsent(doc.subscriptions)) ctx.add(subscriptionsPath, Messages.mustBeDefined);
  subscriptions?.forEach((item, i) => validateSubscription(ctx, item, subscriptionsPath.index(i)));
  if (!isAbsent(doc.mTLS)) validateMtlsInsight(ctx, doc.mTLS, FieldPath.at('mTLS'));
  stringList(ctx, doc.countedSerials, FieldPath.at('countedSerials'));
  timestamp(ctx, doc.certificateNotBefore, FieldPath.at('certificateNotBefore'));
  const replacedPath = FieldPath.at('replacedStreams');
  const replaced = ctx.integer(doc.replacedStreams, replacedPath);
  if (replaced !== undefined && replaced < 0) ctx.add(replacedPath, 'must not be negative');
  timestamp(ctx, doc.lastReplacedTime, FieldPath.at('lastReplacedTime'));
}

function validateSubscription(ctx: ValidationContext, value: unknown, path: FieldPath): void {
  const obj = ctx.requiredObject(value, path, [
    'id',
    'controlPlaneInstanceId',
    'connectTime',
    'disconnectTime',
    'disconnectReason',
  ]);
  if (obj === undefined) return;
  ctx.requiredString(obj.id, path.field('id'));
  ctx.requiredString(obj.controlPlaneInstanceId, path.field('controlPlaneInstanceId'));
  if (isAbsent(obj.connectTime)) ctx.add(path.field('connectTime'), Messages.mustBeDefined);
  timestamp(ctx, obj.connectTime, path.field('connectTime'));
  timestamp(ctx, obj.disconnectTime, path.field('disconnectTime'));
  const reason = ctx.string(obj.disconnectReason, path.field('disconnectReason'));
  if (reason !== undefined && !STREAM_ENDED_REASONS.includes(reason as StreamEndedReason)) {
    ctx.add(path.field('disconnectReason'), `must be one of: ${STREAM_ENDED_REASONS.join(', ')}`);
  }
}

function validateMtlsInsight(ctx: ValidationContext, value: unknown, path: FieldPath): void {
  const obj = ctx.object(value, path, [
    'certificateExpirationTime',
    'lastCertificateRegeneration',
    'certificateRegenerations',
    'issuedBackend',
    'supportedBackends',
  ]);
  if (obj === undefined) return;
  timestamp(ctx, obj.certificateExpirationTime, path.field('certificateExpirationTime'));
  timestamp(ctx, obj.lastCertificateRegeneration, path.field('lastCertificateRegeneration'));
  const countPath = path.field('certificateRegenerations');
  const count = ctx.integer(obj.certificateRegenerations, countPath);
  if (isAbsent(obj.certificateRegenerations)) ctx.add(countPath, Messages.mustBeDefined);
  if (count !== undefined && count < 0) ctx.add(countPath, 'must not be negative');
  ctx.string(obj.issuedBackend, path.field('issuedBackend'));
  if (isAbsent(obj.supportedBackends)) ctx.add(path.field('supportedBackends'), Messages.mustBeDefined);
  stringList(ctx, obj.supportedBackends, path.field('supportedBackends'));
}

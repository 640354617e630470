import { z } from 'zod';
import type { Lease } from '../ports/lease.store';

const time = z.iso.datetime({ offset: true });

const leaseSchema = z.object({
  mesh: z.string().min(1),
  dataplane: z.string().min(1),
  serial: z.string().min(1),
  notBefore: time,
  notAfter: time,
  rotateAt: time,
  backend: z.string(),
  supportedBackends: z.array(z.string()),
  controlPlaneInstance: z.string(),
  session: z.string(),
});

export type DecodedLease =
  | { readonly ok: true; readonly lease: Lease }
  | { readonly ok: false; readonly reason: string };

/**
 * A lease as stored (JSON), checked against its schema and against the dataplane its key names: a lease
 * copied under another dataplane's key would otherwise have that dataplane rotated for it. The reason of a
 * refusal names fields, never the value.
 */
export function decodeLease(raw: string, mesh: string, dataplane: string): DecodedLease {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'value is not JSON' };
  }
  const result = leaseSchema.safeParse(parsed);
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((i) => i.path.join('.') || '(value)'))];
    return { ok: false, reason: `value is not a lease (wrong or missing ${fields.join(', ')})` };
  }
  if (result.data.mesh !== mesh || result.data.dataplane !== dataplane) {
    return { ok: false, reason: 'lease names another dataplane than its key' };
  }
  return { ok: true, lease: result.data };
}

import { z } from 'zod';
import type { RequestContract } from './contract';
import { defineEvent, defineRequest } from './contract';

/** The roles of the control plane; each answers pings on the bus in its own queue group. */
export const APP_ROLES = ['mesh-api', 'ca-signer', 'rotation-scheduler', 'stats-collector'] as const;
export const appRole = z.enum(APP_ROLES);
export type AppRole = z.infer<typeof appRole>;

const pingRequest = z.object({ from: z.string() });
const pingReply = z.object({ role: appRole, instance: z.string(), startedAt: z.string() });
export type PingRequest = z.infer<typeof pingRequest>;
export type PingReply = z.infer<typeof pingReply>;
export type PingContract = RequestContract<PingRequest, PingReply>;

/** One ping subject per role: a reply proves that role is reachable over the bus (queue group = role). */
export const pingContracts: Readonly<Record<AppRole, PingContract>> = Object.freeze({
  'mesh-api': ping('mesh-api'),
  'ca-signer': ping('ca-signer'),
  'rotation-scheduler': ping('rotation-scheduler'),
  'stats-collector': ping('stats-collector'),
});

function ping(role: AppRole): PingContract {
  return defineRequest({
    subject: `mesh.system.ping.${role}.v1`,
    request: pingRequest,
    reply: pingReply,
    timeoutMs: 2000,
  });
}

/** Published by a process when it has started and when it stops, so others can see the topology. */
export const instanceLifecycle = defineEvent({
  subject: 'mesh.system.instance.v1',
  payload: z.object({
    role: appRole,
    instance: z.string(),
    state: z.enum(['started', 'stopping']),
    at: z.string(),
  }),
});

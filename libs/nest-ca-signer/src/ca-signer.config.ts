import { DEFAULT_ADMISSION, type AdmissionOptions } from '@meshtls/application';
import { z } from 'zod';
import { parseEnvironment } from '@meshtls/nest-core';

/** ca-signer's own settings: its admission control. */
export interface CaSignerConfig {
  readonly admission: AdmissionOptions;
}

const positiveInt = z.coerce.number().int().positive();
const envSchema = z.object({
  MESH_CA_MAX_CONCURRENT: positiveInt.default(DEFAULT_ADMISSION.maxConcurrent),
  MESH_CA_RATE: positiveInt.default(DEFAULT_ADMISSION.ratePerSecond),
  MESH_CA_BURST: positiveInt.default(DEFAULT_ADMISSION.burst),
  MESH_CA_MAX_QUEUE: positiveInt.default(DEFAULT_ADMISSION.maxQueue),
  MESH_CA_MAX_WAIT_MS: positiveInt.default(DEFAULT_ADMISSION.maxWaitMs),
});

export function loadCaSignerConfig(env: Record<string, string | undefined>): CaSignerConfig {
  const e = parseEnvironment(envSchema, env);
  return Object.freeze({
    admission: Object.freeze({
      maxConcurrent: e.MESH_CA_MAX_CONCURRENT,
      ratePerSecond: e.MESH_CA_RATE,
      burst: e.MESH_CA_BURST,
      maxQueue: e.MESH_CA_MAX_QUEUE,
      maxWaitMs: e.MESH_CA_MAX_WAIT_MS,
    }),
  });
}

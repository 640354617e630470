import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { DefaultMeshOutcome } from '@meshtls/application';
import type { DefaultMeshConfig } from './default-mesh.config';

export interface DefaultMeshLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface DefaultMeshRetry {
  /** Wait between attempts while the store cannot be written. */
  readonly intervalMs: number;
  /** Attempts in all before giving up (the first one included). */
  readonly attempts: number;
}

/** As Kuma: every 5 s for up to 10 minutes. */
export const DEFAULT_MESH_RETRY: DefaultMeshRetry = { intervalMs: 5_000, attempts: 120 };

/**
 * Makes the default mesh when the process starts, before it serves: a fresh control plane answers
 * `GET /meshes/default` from its first request. A store that cannot be written yet does not stop the
 * start; the attempt is repeated in the background until it succeeds or the retries run out.
 */
export class DefaultMeshStarter implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly ensure: () => Promise<DefaultMeshOutcome>,
    private readonly config: DefaultMeshConfig,
    private readonly log: DefaultMeshLog,
    private readonly retry: DefaultMeshRetry = DEFAULT_MESH_RETRY,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.skip) {
      this.log.info('skipping default Mesh creation because MESH_SKIP_DEFAULT_MESH is true');
      return;
    }
    await this.attempt(1);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async attempt(attempt: number): Promise<void> {
    try {
      const outcome = await this.ensure();
      this.log.info(outcome === 'created' ? 'default Mesh created' : 'default Mesh already exists');
    } catch (error) {
      if (this.stopped) return;
      const reason = (error as Error).message;
      if (attempt >= this.retry.attempts) {
        this.log.error(`could not create the default Mesh, giving up after ${attempt} attempts: ${reason}`);
        return;
      }
      this.log.warn(`could not create the default Mesh, retrying in ${this.retry.intervalMs} ms: ${reason}`);
      this.timer = setTimeout(() => void this.attempt(attempt + 1), this.retry.intervalMs);
      this.timer.unref();
    }
  }
}

import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { RotationLoop } from '@meshtls/application';
import { ROTATION_LOOP } from './rotation-scheduler.tokens';

/** Runs the rotation loop for the life of the process. */
@Injectable()
export class RotationSchedulerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(ROTATION_LOOP) private readonly loop: RotationLoop) {}

  /** After every module's init, so the stores and the bus are ready before the first pass. */
  onApplicationBootstrap(): void {
    this.loop.start();
  }

  /**
   * Before CoreModule closes the stores and the bus (in its onApplicationShutdown): the pass in
   * progress finishes with them still open.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}

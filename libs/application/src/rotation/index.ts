// The public names of rotation/: the rotation-scheduler's scheduler and loop.
export { RotationScheduler, ROTATION_DEFAULTS } from './rotation-scheduler';
export type { RotationTickReport } from './rotation-scheduler';
export { RotationLoop } from './rotation-loop';

export const ROTATION_SCHEDULER_CONFIG = Symbol('RotationSchedulerConfig');

export const ROTATION_SCHEDULER_CONFIG = Symbol('RotationSchedulerConfig');
export const ROTATION_METRICS = Symbol('RotationMetrics');
export const ROTATION_SCHEDULER = Symbol('RotationScheduler');
export const ROTATION_LOOP = Symbol('RotationLoop');

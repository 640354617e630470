// The rotation-scheduler role's Nest module, configured from the environment.
export { rotationSchedulerModules } from './rotation-scheduler.role';

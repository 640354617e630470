// Test supports of the Nest roles (`@meshtls/nest-core/testing`): for specs only, never for a role's code.
export {
  startRoleModules,
  startStandaloneRole,
  type StandaloneRole,
  type StartedRole,
} from './testing/role-modules.test-support';

// The ca-signer role's Nest module, configured from the environment.
export { caSignerModules } from './ca-signer.role';

// The ca-signer role's Nest module and its config.
export { CaSignerModule } from './ca-signer.module';
export { loadCaSignerConfig } from './ca-signer.config';

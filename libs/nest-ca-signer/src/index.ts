export { CaSignerModule } from './ca-signer.module';
export { loadCaSignerConfig } from './ca-signer.config';
export type { CaSignerConfig } from './ca-signer.config';

export { CaSignerModule } from './ca-signer.module';

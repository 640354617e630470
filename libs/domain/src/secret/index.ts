// Secret.
export type { SecretSpec } from './secret.types';
export { secretBytes } from './secret.validator';

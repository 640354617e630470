// The public names of shared/: code more than one role runs.
export { DataSourceReader } from './data-source.reader';
export { MtlsKeySeal, UnsealedKeyError } from './mtls-key-seal';

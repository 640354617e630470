// Rotation: when a certificate is due, renewal and the issuance limit.
export {
  rotateAtOf,
  certificateState,
  renewAtOf,
  dataplaneIdentityChanged,
  rotationRequestVerdict,
  issuanceRatePerMinute,
  ISSUANCE_LIMIT_DEFAULTS,
} from './rotation.rules';
export type { IssuanceLimit, CertificateTimes } from './rotation.rules';

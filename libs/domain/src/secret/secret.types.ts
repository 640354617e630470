/** The spec of a Secret or GlobalSecret: its value, base64-encoded as in Kuma's universal format. */
export interface SecretSpec {
  readonly data: string;
}

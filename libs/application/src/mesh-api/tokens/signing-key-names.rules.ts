/**
 * Names of the Secrets holding a mesh's dataplane-token signing keys, Kuma's names so tools written for
 * Kuma find them: `dataplane-token-signing-key-{mesh}-{serial}` in the mesh. The serial is the token's
 * `kid`; the highest serial signs new tokens, every stored one still verifies (rotation: add serial+1,
 * wait for tokens to be re-issued, delete the old Secret to revoke what it signed).
 */
export function signingKeySecretName(mesh: string, serial: number): string {
  return `${signingKeyPrefix(mesh)}${serial}`;
}

/** The serial of a signing-key Secret of `mesh`, or `undefined` when the name is not one. */
export function signingKeySerialOf(mesh: string, secretName: string): number | undefined {
  const prefix = signingKeyPrefix(mesh);
  if (!secretName.startsWith(prefix)) return undefined;
  return parseSerial(secretName.slice(prefix.length));
}

/** A key id as we write it (a positive decimal serial, no leading zero), or `undefined`. */
export function parseSerial(text: string): number | undefined {
  return /^[1-9]\d{0,8}$/.test(text) ? Number(text) : undefined;
}

/** The serial of the first key a mesh gets. */
export const FIRST_SIGNING_KEY_SERIAL = 1;

function signingKeyPrefix(mesh: string): string {
  return `dataplane-token-signing-key-${mesh}-`;
}

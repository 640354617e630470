/**
 * Names of the Secrets holding a builtin CA, Kuma's names, so tools written for Kuma find them:
 * `{mesh}.ca-builtin-cert-{backend}` and `{mesh}.ca-builtin-key-{backend}`.
 */
export function builtinCaCertSecretName(mesh: string, backend: string): string {
  return `${mesh}.ca-builtin-cert-${backend}`;
}

/** See builtinCaCertSecretName. */
export function builtinCaKeySecretName(mesh: string, backend: string): string {
  return `${mesh}.ca-builtin-key-${backend}`;
}

/** Both Secret names of a builtin backend. */
export function builtinCaSecretNames(mesh: string, backend: string): { cert: string; key: string } {
  return { cert: builtinCaCertSecretName(mesh, backend), key: builtinCaKeySecretName(mesh, backend) };
}

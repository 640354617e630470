import { ResourceType, parseResource, type MeshSpec, type MtlsSpec } from '@meshtls/domain';

/**
 * The `mtls` section as ca-signer receives it over the bus, checked again with the Mesh rules: a
 * message is never trusted to be well-formed just because its sender validated it.
 */
export function parseMtls(mesh: string, mtls: unknown): MtlsSpec {
  const parsed = parseResource({
    type: ResourceType.Mesh,
    name: mesh,
    ...(mtls === undefined ? {} : { mtls }),
  });
  return (parsed.spec as MeshSpec).mtls ?? {};
}

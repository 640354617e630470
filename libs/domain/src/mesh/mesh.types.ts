/** Kinds of CA backend a mesh may list. */
export const MtlsBackendType = {
  Builtin: 'builtin',
  Provided: 'provided',
} as const;
export type MtlsBackendType = (typeof MtlsBackendType)[keyof typeof MtlsBackendType];

/** How inbound listeners treat plaintext: STRICT refuses it, PERMISSIVE passes it through. */
export const MtlsMode = {
  Strict: 'STRICT',
  Permissive: 'PERMISSIVE',
} as const;
export type MtlsMode = (typeof MtlsMode)[keyof typeof MtlsMode];

/** Where a provided CA's certificate or key comes from; exactly one of the forms. */
export type DataSource =
  | { readonly secret: string }
  | { readonly inline: string /* base64 */ }
  | { readonly inlineString: string }
  | { readonly file: string };

/** Settings of the certificates issued to dataplanes. */
export interface DpCertSpec {
  readonly rotation?: { readonly expiration?: string };
  /** How long a dataplane waits for its certificate, a protobuf duration such as `10s` (stored, not used). */
  readonly requestTimeout?: string;
}

/** Kuma's `rootChain`: how long a dataplane waits for the root chain (stored, not used). */
export interface RootChainSpec {
  readonly requestTimeout?: string;
}

/** builtin backend: the control plane creates and keeps the CA. */
export interface BuiltinCaConf {
  /** Kuma keeps `conf` as a free-form struct: fields it does not know are kept as given. */
  readonly [field: string]: unknown;
  readonly caCert?: {
    readonly RSAbits?: number;
    readonly expiration?: string;
  };
}

/** provided backend: the user brings a CA certificate chain and its key. */
export interface ProvidedCaConf {
  readonly [field: string]: unknown;
  readonly cert: DataSource;
  readonly key: DataSource;
  /** Skip the CA checks (CA:TRUE, key usage, chain); for users who know their CA is unusual. */
  readonly skipValidation?: boolean;
}

interface MtlsBackendBase {
  readonly name: string;
  readonly mode?: MtlsMode;
  readonly dpCert?: DpCertSpec;
  readonly rootChain?: RootChainSpec;
}

export interface BuiltinMtlsBackend extends MtlsBackendBase {
  readonly type: typeof MtlsBackendType.Builtin;
  readonly conf?: BuiltinCaConf;
}

export interface ProvidedMtlsBackend extends MtlsBackendBase {
  readonly type: typeof MtlsBackendType.Provided;
  readonly conf: ProvidedCaConf;
}

/** One CA backend of a mesh; narrow on `type` to read its `conf`. */
export type MtlsBackend = BuiltinMtlsBackend | ProvidedMtlsBackend;

/** `Mesh.mtls`. An empty or missing `enabledBackend` means mTLS is off; several backends may be listed. */
export interface MtlsSpec {
  readonly enabledBackend?: string;
  readonly backends?: readonly MtlsBackend[];
  /** Kuma's switch to skip the backends' checks: here a provided CA's certificate checks are skipped. */
  readonly skipValidation?: boolean;
}

/**
 * Sections of a Kuma Mesh this control plane stores and gives back as they were written, without acting
 * on them (`metrics`, `logging`, `tracing`, ...). Their shape is checked as Kuma checks it.
 */
export type StoredOnly = Readonly<Record<string, unknown>>;

/** The Mesh sections stored but not acted on, in the order Kuma's Mesh lists them. */
export const STORED_ONLY_SECTIONS = [
  'tracing',
  'logging',
  'metrics',
  'networking',
  'routing',
  'constraints',
  'skipCreatingInitialPolicies',
  'meshServices',
] as const;
export type StoredOnlySection = (typeof STORED_ONLY_SECTIONS)[number];

/** The spec of a Mesh: the universal document without `type` and `name`. */
export interface MeshSpec {
  readonly mtls?: MtlsSpec;
  readonly tracing?: StoredOnly;
  readonly logging?: StoredOnly;
  readonly metrics?: StoredOnly;
  readonly networking?: StoredOnly;
  readonly routing?: StoredOnly;
  readonly constraints?: StoredOnly;
  readonly skipCreatingInitialPolicies?: readonly string[];
  readonly meshServices?: StoredOnly;
}

import { EventEmitter } from 'node:events';
import type { DataplaneTrafficMessage, UpstreamEndpointDto } from '@meshtls/contracts';
import {
  SERVICE_TAG,
  clientIdentityOf,
  decideTraffic,
  type DataplaneSpec,
  type Inbound,
  type NamedPermission,
  type Tags,
} from '@meshtls/domain';
import type { DataplaneAgent } from '../dataplane-agent';
import type { DataplaneIdentity } from '../identity';
import {
  InboundListener,
  type InboundDecision,
  type InboundMode,
  type RefusalKind,
} from './inbound-listener';
import type { MeshTlsMaterial } from './mesh-tls';
import { OutboundListener } from './outbound-listener';

export interface DataplaneProxyOptions {
  readonly mesh: string;
  readonly name: string;
  /** Where inbounds listen; the Dataplane's `networking.address` when left out. */
  readonly inboundAddress?: string;
  /** Where the applications behind the inbounds listen. */
  readonly serviceAddress?: string;
  /** TLS session resumption between sidecars, both ways (on by default). */
  readonly sessionResumption?: boolean;
}

/** A refused inbound connection: who called, what, and the rule that decided. */
export interface RefusalEvent {
  /** `{service}:{port}` of the inbound. */
  readonly inbound: string;
  readonly kind: RefusalKind;
  readonly reason: string;
  /** The client's SAN URIs; empty when it showed no (valid) certificate. */
  readonly client: readonly string[];
  readonly remote: string;
}

export interface ProxyEvents {
  refused: [RefusalEvent];
  /** Allowed by AllowWithShadowDeny: a connection Deny would have refused. */
  shadowDenied: [{ inbound: string; client: readonly string[]; rule: string }];
  /** `resumed`: mesh mTLS that resumed a TLS session instead of a full handshake. */
  inbound: [{ inbound: string; kind: 'mtls' | 'plaintext' | 'tls-passthrough'; resumed: boolean }];
  outbound: [{ service: string; upstream: string; mtls: boolean; resumed: boolean }];
  outboundError: [{ service: string; message: string }];
  listening: [{ listener: string; address: string; port: number }];
  listenerError: [{ listener: string; message: string }];
}

interface InboundEntry {
  readonly listener: InboundListener;
  readonly forwardPort: number;
  /** The inbound's tags, as MeshTrafficPermission selects it (updated in place). */
  tags: Tags;
  /** What a policy's `sectionName` names it by: the inbound's `name`, or its port. */
  section: string;
  name: string;
}

interface OutboundEntry {
  readonly listener: OutboundListener;
  readonly service: string;
}

/**
 * The sidecar's data path: one inbound listener per `inbound[]` of the Dataplane (mode from the
 * identity, MeshTrafficPermission decided here for every new connection) and one outbound listener per
 * `outbound[]` (endpoints from the control plane). Follows the agent: every traffic message reconciles
 * the listeners (kept when unchanged), and certificates or bundles swap under open connections.
 */
export class DataplaneProxy extends EventEmitter<ProxyEvents> {
  private readonly inbounds = new Map<string, InboundEntry>();
  private readonly outbounds = new Map<number, OutboundEntry>();
  private permissions: readonly NamedPermission[] = [];
  /** The Dataplane's labels, as MeshTrafficPermission selects it by them. */
  private labels: Readonly<Record<string, string>> = {};
  private endpoints = new Map<string, readonly UpstreamEndpointDto[]>();
  private material?: { identity: DataplaneIdentity; material: MeshTlsMaterial };
  private reconciling: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly agent: DataplaneAgent,
    private readonly options: DataplaneProxyOptions,
  ) {
    super();
    agent.on('traffic', (traffic) => void this.apply(traffic));
    if (agent.traffic) void this.apply(agent.traffic);
  }

  /** Resolves once the listeners match the latest traffic message applied. */
  settled(): Promise<void> {
    return this.reconciling;
  }

  /** The listeners now open: `inbound {service}:{port}` and `outbound {service}:{port}` → bound port. */
  openListeners(): { inbound: Record<string, number>; outbound: Record<string, number> } {
    return {
      inbound: Object.fromEntries([...this.inbounds].map(([key, e]) => [e.name, portOf(key)])),
      outbound: Object.fromEntries([...this.outbounds].map(([port, e]) => [`${e.service}:${port}`, port])),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.reconciling;
    await Promise.all([
      ...[...this.inbounds.values()].map((e) => e.listener.close()),
      ...[...this.outbounds.values()].map((e) => e.listener.close()),
    ]);
    this.inbounds.clear();
    this.outbounds.clear();
  }

  private apply(traffic: DataplaneTrafficMessage): Promise<void> {
    // Policies and endpoints apply at once to new connections; listeners change one reconcile at a time.
    this.permissions = traffic.permissions as unknown as NamedPermission[];
    this.endpoints = new Map(traffic.endpoints.map((e) => [e.service, e.endpoints]));
    const spec = traffic.dataplane as unknown as DataplaneSpec;
    this.labels = labelsOf(spec.labels);
    this.reconciling = this.reconciling.then(() => this.reconcile(spec));
    return this.reconciling;
  }

  private async reconcile(spec: DataplaneSpec): Promise<void> {
    if (this.closed) return;
    const address = this.options.inboundAddress ?? spec.networking.address;
    const wantedIn = new Map<string, Inbound>(
      spec.networking.inbound.map((inbound) => [`${address}:${inbound.port}`, inbound]),
    );
    for (const [key, entry] of this.inbounds) {
      const wanted = wantedIn.get(key);
      if (!wanted || (wanted.servicePort ?? wanted.port) !== entry.forwardPort) {
        this.inbounds.delete(key);
        await entry.listener.close();
      }
    }
    for (const [key, inbound] of wantedIn) {
      const name = `${inbound.tags[SERVICE_TAG] ?? 'inbound'}:${inbound.port}`;
      const section = inbound.name ?? String(inbound.port);
      const existing = this.inbounds.get(key);
      if (existing) {
        existing.tags = inbound.tags;
        existing.section = section;
        existing.name = name;
        continue;
      }
      const entry = this.inboundEntry(
        address,
        inbound.port,
        inbound.servicePort ?? inbound.port,
        inbound.tags,
      );
      entry.section = section;
      entry.name = name;
      if (await this.open(`inbound ${name}`, address, () => entry.listener.listen(), entry.listener)) {
        this.inbounds.set(key, entry);
      }
    }
    const wantedOut = new Map<number, string>();
    for (const outbound of spec.networking.outbound ?? []) {
      const service = outbound.tags[SERVICE_TAG];
      if (service) wantedOut.set(outbound.port, service);
    }
    for (const [port, entry] of this.outbounds) {
      if (wantedOut.get(port) !== entry.service) {
        this.outbounds.delete(port);
        await entry.listener.close();
      }
    }
    for (const [port, service] of wantedOut) {
      if (this.outbounds.has(port)) continue;
      const listener = this.outboundListener(port, service);
      if (await this.open(`outbound ${service}:${port}`, '127.0.0.1', () => listener.listen(), listener)) {
        this.outbounds.set(port, { listener, service });
      }
    }
  }

  /** Starts a listener; a port that cannot be bound is reported and tried again on the next message. */
  private async open(
    what: string,
    address: string,
    listen: () => Promise<number>,
    listener: { close(): Promise<void> },
  ): Promise<boolean> {
    try {
      const port = await listen();
      this.emit('listening', { listener: what, address, port });
      return true;
    } catch (error) {
      await listener.close().catch(() => undefined);
      this.emit('listenerError', { listener: what, message: (error as Error).message });
      return false;
    }
  }

  private inboundEntry(address: string, port: number, forwardPort: number, tags: Tags): InboundEntry {
    const entry: InboundEntry = {
      forwardPort,
      tags,
      section: String(port),
      name: '',
      listener: new InboundListener({
        address,
        port,
        forwardTo: { host: this.options.serviceAddress ?? '127.0.0.1', port: forwardPort },
        mode: () => this.mode(),
        material: () => this.currentMaterial(),
        authorize: (uris, serverName) => this.authorize(entry, uris, serverName),
        onRefused: (event) => this.emit('refused', { inbound: entry.name, ...event }),
        onForwarded: (kind, resumed) => this.emit('inbound', { inbound: entry.name, kind, resumed }),
        sessionResumption: this.options.sessionResumption !== false,
      }),
    };
    return entry;
  }

  private outboundListener(port: number, service: string): OutboundListener {
    return new OutboundListener({
      port,
      mesh: this.options.mesh,
      service,
      endpoints: () => this.endpoints.get(service) ?? [],
      material: () => this.currentMaterial(),
      mtlsDisabled: () => this.agent.mtlsDisabled,
      onError: (message) => this.emit('outboundError', { service, message }),
      onForwarded: (upstream, mtls, resumed) => this.emit('outbound', { service, upstream, mtls, resumed }),
      sessionResumption: this.options.sessionResumption !== false,
    });
  }

  /** STRICT until the first identity says otherwise; DISABLED when the mesh has mTLS off. */
  private mode(): InboundMode {
    if (this.agent.mtlsDisabled) return 'DISABLED';
    return this.agent.identity?.mode ?? 'STRICT';
  }

  private currentMaterial(): MeshTlsMaterial | undefined {
    const identity = this.agent.identity;
    if (!identity) return undefined;
    if (this.material?.identity !== identity) {
      this.material = {
        identity,
        material: {
          serial: identity.serial,
          certChainPem: identity.certPem.endsWith('\n')
            ? identity.certPem + identity.chainPem
            : `${identity.certPem}\n${identity.chainPem}`,
          keyPem: identity.keyPem,
          trustBundlePem: identity.trustBundlePem,
        },
      };
    }
    return this.material.material;
  }

  private authorize(entry: InboundEntry, uris: readonly string[], serverName?: string): InboundDecision {
    const identity = clientIdentityOf(this.options.mesh, uris);
    const client = identity && { ...identity, serverName };
    if (!client) {
      return {
        allowed: false,
        rule: `the client certificate names no service of mesh "${this.options.mesh}"`,
      };
    }
    const decision = decideTraffic(
      this.permissions,
      { dataplane: this.options.name, tags: entry.tags, labels: this.labels, section: entry.section },
      client,
    );
    const rule = decision.rule
      ? `MeshTrafficPermission "${decision.rule.policy}" ${decision.rule.entry}: ${decision.action}`
      : 'no MeshTrafficPermission allows it (deny by default)';
    if (decision.shadowDeny) this.emit('shadowDenied', { inbound: entry.name, client: uris, rule });
    return { allowed: decision.allowed, rule };
  }
}

/** The string labels of a Dataplane spec; anything else there is ignored. */
function labelsOf(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

function portOf(key: string): number {
  return Number(key.slice(key.lastIndexOf(':') + 1));
}

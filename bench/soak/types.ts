/** What the soak modules share: the run's settings, what it watches and samples, what it collects. */
import type { ValidityReport } from '../fleet/certificate-validity';

/** The settings read from the SOAK_* variables (see soak.ts). */
export interface SoakConfig {
  readonly dataplanes: number;
  readonly durationS: number;
  readonly sampleS: number;
  readonly validityS: number;
  readonly workers: number;
  readonly ownConnections: boolean;
}

export type Kind = 'control-plane' | 'infrastructure' | 'fleet';

export interface Watched {
  readonly name: string;
  readonly short: string;
  readonly kind: Kind;
  readonly pid: number;
  /** Control-plane processes: their /metrics. */
  readonly metricsUrl?: string;
}

export interface Sample {
  /** Seconds since the soak began (every dataplane holding a certificate). */
  readonly t: number;
  readonly alive: boolean;
  readonly rss: number;
  readonly fds: number;
  readonly heap?: number;
  readonly handles?: number;
  readonly series?: number;
}

export interface WholeSample {
  readonly t: number;
  readonly rotations: number;
  readonly validNow: number;
  readonly streams: Record<string, { messages: number; bytes: number }>;
  readonly redisUsedMemory: number;
  readonly redisKeys: number;
}

export type Metric = 'heap' | 'rss' | 'fds' | 'handles' | 'series';

export interface MetricFigures {
  readonly firstThird: number;
  readonly middleThird: number;
  readonly lastThird: number;
  readonly growth: number;
  readonly growthPct: number;
  /** Least squares over every sample, per hour. */
  readonly slopePerHour: number;
  /** Middle-third median to last-third median, relative. */
  readonly lastTwoThirdsPct: number;
  /** Least squares over the last two thirds, per hour. */
  readonly lastTwoThirdsSlopePerHour: number;
}

export interface ProcessFigures {
  readonly name: string;
  readonly kind: Kind;
  readonly pid: number;
  readonly samples: number;
  readonly exited: boolean;
  readonly metrics: Partial<Record<Metric, MetricFigures>>;
  readonly verdict: 'flat' | 'GROWING' | 'EXITED' | 'too few samples';
  readonly reasons: string[];
}

/** A certificate a dataplane received, its validity as the certificate states it. */
export interface ReceivedCertificate {
  readonly serial: string;
  readonly reason: string;
  readonly receivedAt: number;
  readonly notBefore: number;
  readonly notAfter: number;
}

export interface DataplaneState {
  /** Every certificate it received, in order. */
  readonly certificates: ReceivedCertificate[];
}

/** The control plane's view at the end, from mesh-api's dataplanes+insights. */
export interface InsightsView {
  readonly total: number;
  readonly valid: number;
  readonly regenerations: number;
}

/** Everything the run collects, filled in by run.ts and sample.ts, read by analyse.ts and report.ts. */
export interface RunState {
  readonly watched: Watched[];
  readonly samples: Map<string, Sample[]>;
  readonly whole: WholeSample[];
  readonly dataplanes: DataplaneState[];
  /** Rotations received since the soak began (for the progress lines). */
  rotationsSoFar: number;
  soakStartedAt: number;
  soakEndedAt: number;
  connectMs: number;
  /** Streams that ended or failed to open, as the workers count them (told when they stop). */
  streamFailures: number;
  readonly failureSample: Set<string>;
  /** Whether every dataplane held a valid certificate, from the workers at the end. */
  validity: ValidityReport | undefined;
  /** The control plane's view at the end, from mesh-api's dataplanes+insights. */
  insights: InsightsView | undefined;
  /** Control-plane counters at the end, summed over the replicas. */
  counters: Record<string, Record<string, number>>;
  sampleErrors: number;
}

/** How the run ended, as the report and the verdict need it. */
export interface Outcome {
  /** What the run threw, if anything. */
  readonly error: unknown;
  /** Whether it was interrupted (a signal or the hard limit). */
  readonly interrupted: boolean;
  readonly hardLimitReached: boolean;
}

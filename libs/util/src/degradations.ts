/**
 * Where any part of a process says it is degraded: it keeps running, but should not count as ready
 * (`/health/ready` answers 503 with every reason while one is reported). A source is a stable name of
 * what is degraded (`kv:Dataplane/default/web-1`, `store`); reporting it again replaces its reason.
 */
export interface DegradationReporter {
  report(source: string, reason: string): void;
  /** The source is fine again; nothing happens when it was not reported. */
  clear(source: string): void;
}

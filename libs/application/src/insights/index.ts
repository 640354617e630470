// The public names of insights/: the stats-collector's recorder.
export { DataplaneInsightRecorder } from './dataplane-insight.recorder';
export type { CertificateEvent, ConnectionEvent } from './dataplane-insight.recorder';

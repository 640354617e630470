export const INSIGHT_RECORDER = Symbol('DataplaneInsightRecorder');
export const STATS_EVENTS_COUNTER = Symbol('StatsEventsCounter');

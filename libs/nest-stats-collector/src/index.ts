// The stats-collector role's Nest module.
export { StatsCollectorModule } from './stats-collector.module';

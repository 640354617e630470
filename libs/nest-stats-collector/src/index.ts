export { StatsCollectorModule } from './stats-collector.module';

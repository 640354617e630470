import 'reflect-metadata';
import { runProcess } from '@meshtls/nest-core';
import { StatsCollectorModule } from '@meshtls/nest-stats-collector';

void runProcess({
  label: 'stats-collector',
  name: 'stats-collector',
  roles: ['stats-collector'],
  modules: [StatsCollectorModule],
  defaultMode: 'distributed',
  defaultPort: 5693,
});

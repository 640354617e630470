import 'reflect-metadata';
import { runProcess } from '@meshtls/nest-core';
import { CaSignerModule, loadCaSignerConfig } from '@meshtls/nest-ca-signer';

void runProcess({
  label: 'ca-signer',
  name: 'ca-signer',
  roles: ['ca-signer'],
  modules: (env) => [CaSignerModule.forRoot(loadCaSignerConfig(env))],
  defaultMode: 'distributed',
  defaultPort: 5691,
});

import 'reflect-metadata';
import { runProcess } from '@meshtls/nest-core';
import { caSignerModules } from '@meshtls/nest-ca-signer';

void runProcess({
  label: 'ca-signer',
  name: 'ca-signer',
  roles: ['ca-signer'],
  modules: caSignerModules,
  defaultMode: 'distributed',
  defaultPort: 5691,
});

import 'reflect-metadata';
import { runProcess } from '@meshtls/nest-core';
import { CaSignerModule } from '@meshtls/nest-ca-signer';

void runProcess({
  label: 'ca-signer',
  name: 'ca-signer',
  roles: ['ca-signer'],
  modules: [CaSignerModule],
  defaultMode: 'distributed',
  defaultPort: 5691,
});

import { FakeClock } from '@meshtls/util';
console.log(new FakeClock().now());

/**
 * main.int-spec.ts starts the built process from dist (`npm run build` first; `npm test` builds before
 * it) with its real embedded store and in-process bus. Unit tests (*.spec.ts) would sit beside the code.
 */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'control-plane',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts'],
};

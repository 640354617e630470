/**
 * main.int-spec.ts starts the built sidecar and a standalone control plane from dist (`npm run build`
 * first; `npm test` builds before it). Unit tests (*.spec.ts) would sit beside the code.
 */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'dataplane',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts'],
};

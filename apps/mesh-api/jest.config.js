/**
 * main.int-spec.ts starts the built process from dist (`npm run build` first; `npm test` builds before
 * it) against real NATS and Redis servers started for the suite. Unit tests (*.spec.ts) would sit beside
 * the code.
 */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'mesh-api',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts'],
};

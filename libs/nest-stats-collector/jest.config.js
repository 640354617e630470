/**
 * Integration tests (*.int-spec.ts): the module with CoreModule's real standalone adapters (the SQLite
 * store in a temporary directory, the in-process bus). Unit tests (*.spec.ts) would sit beside the code.
 */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'nest-stats-collector',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts'],
};

/** Unit tests (*.spec.ts, no I/O): every contract's schemas, the subject rule and the stream codec. */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'contracts',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};

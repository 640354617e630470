/**
 * Unit tests (*.spec.ts, no I/O) and integration tests (*.int-spec.ts). The int-specs run the CLI
 * in-process (test-support/run-cli.ts) over real HTTP on 127.0.0.1. Most talk to fakes of the API
 * (RecordingApiServer in test-support, small HTTP servers and silent sockets in the specs) to check the
 * exact requests sent and answers that are hard to provoke; control-plane.int-spec.ts talks to the real
 * standalone control plane, the built process from dist (`npm run build` first; `npm test` builds
 * before it).
 */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'meshctl',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.int-spec.ts'],
};

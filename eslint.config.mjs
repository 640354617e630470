import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/**
 * The dependency rule of the architecture, checked on every import:
 * util <- domain <- pki; contracts <- bus <- store <- application <- nest-core <- nest-role <- app, where a
 * Nest role lib (nest-mesh-api, nest-ca-signer, ...) never imports another one.
 */
/** What application code builds on; each layer above adds itself to what it may use. */
const BELOW_APPLICATION = [
  'type:domain',
  'type:pki',
  'type:contracts',
  'type:store',
  'type:bus',
  'type:util',
];
const BELOW_NEST_CORE = ['type:application', ...BELOW_APPLICATION];
const BELOW_NEST_ROLE = ['type:nest-core', ...BELOW_NEST_CORE];

const depConstraints = [
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:domain', 'type:util'] },
  { sourceTag: 'type:pki', onlyDependOnLibsWithTags: ['type:domain', 'type:util'] },
  { sourceTag: 'type:bus', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:util'] },
  {
    sourceTag: 'type:store',
    onlyDependOnLibsWithTags: ['type:bus', 'type:domain', 'type:contracts', 'type:util'],
  },
  { sourceTag: 'type:application', onlyDependOnLibsWithTags: BELOW_APPLICATION },
  {
    sourceTag: 'type:agent',
    onlyDependOnLibsWithTags: ['type:contracts', 'type:pki', 'type:domain', 'type:util'],
  },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:store', 'type:bus', 'type:util'],
  },
  { sourceTag: 'type:nest-core', onlyDependOnLibsWithTags: BELOW_NEST_CORE },
  // A role's Nest lib builds on nest-core only, never on another role's: what two roles share goes to
  // nest-core (Nest wiring) or libs/application (behaviour).
  { sourceTag: 'type:nest-role', onlyDependOnLibsWithTags: BELOW_NEST_ROLE },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:agent', 'type:nest-role', ...BELOW_NEST_ROLE] },
  // Test code may use the test helpers (real servers on free ports) from anywhere.
  { sourceTag: 'scope:test', onlyDependOnLibsWithTags: ['*'] },
];

/**
 * A lib's `src/index.ts` (`@meshtls/<lib>`) is its public surface; its `src/internal.ts` re-exports that
 * and what only its own tests reach, and is imported by those tests only (`./internal`, `../internal`).
 * Every config object that sets no-restricted-imports lists these patterns too: a later object's options
 * replace an earlier one's.
 */
const INTERNAL_INDEX_MESSAGE =
  "A lib's internal.ts is for its own tests only: import its public index, @meshtls/<lib>.";
const internalIndexPatterns = [
  { regex: '^@meshtls/[^/]+/(src/)?internal(\\.ts)?$', message: INTERNAL_INDEX_MESSAGE },
  { regex: '^(\\./)?(\\.\\./)+(libs/)?[^./][^/]*/src/internal(\\.ts)?$', message: INTERNAL_INDEX_MESSAGE },
];

/**
 * `@meshtls/store` is the store's ports; `@meshtls/store/adapters` its adapters (memory, SQLite, NATS KV,
 * Redis, the secret cipher), which the composition root (nest-core) chooses. Application code and the
 * Nest role libs depend on the ports only; their tests, nest-core, testing, apps, bench and e2e may use
 * the adapters. The config objects for those files list these patterns beside the internal-index ones.
 */
const STORE_ADAPTERS_MESSAGE =
  'Application code and the Nest role libs depend on the store ports, @meshtls/store: nest-core chooses the adapters.';
const storeAdaptersPatterns = [
  { regex: '^@meshtls/store/adapters$', message: STORE_ADAPTERS_MESSAGE },
  {
    regex: '^(\\./)?(\\.\\./)+(libs/)?store/src/(adapters|crypto)(\\.ts|/.*)?$',
    message: STORE_ADAPTERS_MESSAGE,
  },
];
/** `@meshtls/nest-core/testing` holds test supports: specs may import it, no shipped code. */
const testSupportPatterns = [
  {
    regex: '^@meshtls/nest-core/testing$',
    message: '@meshtls/nest-core/testing is for specs and their supports, never for shipped code.',
  },
];
const NEST_ROLE_LIBS = ['nest-mesh-api', 'nest-ca-signer', 'nest-rotation-scheduler', 'nest-stats-collector'];
const TEST_FILES = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.test-support.ts', '**/*.spec-support.ts'];

/**
 * libs/application is organised by the role that runs its code: each role's folder may import (relatively)
 * only itself and the seams, `shared/` (code more than one role runs) and `ports/` (the mesh-api/ca-signer
 * contract); the seams import no role. A relative specifier says where it lands only together with the
 * depth of the importing file, so there is one config object per folder depth. Tests are not held to it:
 * some wire mesh-api's side and ca-signer's side over an in-memory bus, as the processes meet in production.
 */
const APPLICATION_ROLES = ['ca-signer', 'mesh-api', 'rotation', 'insights'];
const APPLICATION_FOLDERS = {
  ...Object.fromEntries(APPLICATION_ROLES.map((r) => [r, [r]])),
  shared: [],
  ports: [],
};
const applicationRoleBoundaries = Object.entries(APPLICATION_FOLDERS).flatMap(([folder, own]) => {
  const forbidden = APPLICATION_ROLES.filter((role) => !own.includes(role));
  return [1, 2, 3, 4].map((depth) => {
    const up = `(\\./)?(\\.\\./){${depth}}`;
    return {
      files: [`libs/application/src/${folder}/${'*/'.repeat(depth - 1)}*.ts`],
      ignores: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.test-support.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: `^${up}(${forbidden.join('|')})(/|$)`,
                message: `libs/application/src/${folder}/ may import only ${[...own, 'shared', 'ports'].join(', ')}: move what two roles use to shared/ or ports/.`,
              },
              {
                regex: `^${up}(index)?$`,
                message: 'Inside libs/application, import the file itself, not the index.',
              },
              ...internalIndexPatterns,
              ...storeAdaptersPatterns,
              ...testSupportPatterns,
            ],
          },
        ],
      },
    };
  });
});

export default [
  { ignores: ['**/dist', '**/node_modules', '**/coverage', '**/.nx', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  { plugins: { '@nx': nx } },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allow: [], depConstraints },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-restricted-imports': ['error', { patterns: internalIndexPatterns }],
    },
  },
  {
    // Shipped code (not specs, their supports, e2e or benchmarks) may not import test supports.
    files: ['libs/**/*.ts', 'apps/**/*.ts'],
    ignores: [...TEST_FILES, 'libs/*/src/testing.ts', 'libs/*/src/testing/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...internalIndexPatterns, ...testSupportPatterns] }],
    },
  },
  {
    // Specs, their supports, and the contract suites they run (a lib's src/testing/), may import test
    // helpers; the boundary rule still forbids apps and undeclared cycles.
    files: [...TEST_FILES, 'libs/*/src/testing/**/*.ts', 'e2e/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allow: ['@meshtls/testing'], depConstraints },
      ],
      // Jest 30 has no fail(): the ReferenceError it throws is caught like the refusal a test waits for.
      'no-restricted-globals': [
        'error',
        { name: 'fail', message: 'Jest has no fail(); use expect(fn).toThrow() or await expect(p).rejects' },
      ],
    },
  },
  {
    // Application sources and the Nest role libs: the store's ports only (the role folders of
    // libs/application repeat these patterns in their own objects below).
    files: ['libs/application/src/**/*.ts', ...NEST_ROLE_LIBS.map((lib) => `libs/${lib}/src/**/*.ts`)],
    ignores: TEST_FILES,
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...internalIndexPatterns, ...storeAdaptersPatterns, ...testSupportPatterns] },
      ],
    },
  },
  ...applicationRoleBoundaries,
  {
    // No source file over 300 lines (all lines counted): split it by what its parts do. Tests are exempt.
    files: ['libs/**/*.ts', 'apps/**/*.ts', 'bench/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'],
    rules: {
      'max-lines': ['error', { max: 300 }],
    },
  },
  prettier,
];

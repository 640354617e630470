import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/**
 * The dependency rule of the architecture, checked on every import:
 * util <- domain <- pki; contracts <- store <- application <- nest <- app.
 */
const depConstraints = [
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:util'] },
  { sourceTag: 'type:pki', onlyDependOnLibsWithTags: ['type:domain', 'type:util'] },
  { sourceTag: 'type:store', onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:util'] },
  {
    sourceTag: 'type:application',
    onlyDependOnLibsWithTags: ['type:domain', 'type:pki', 'type:contracts', 'type:store', 'type:util'],
  },
  {
    sourceTag: 'type:agent',
    onlyDependOnLibsWithTags: ['type:contracts', 'type:pki', 'type:domain', 'type:util'],
  },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:domain', 'type:contracts', 'type:store', 'type:util'],
  },
  {
    sourceTag: 'type:nest',
    onlyDependOnLibsWithTags: [
      'type:nest',
      'type:application',
      'type:domain',
      'type:pki',
      'type:contracts',
      'type:store',
      'type:util',
    ],
  },
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: [
      'type:agent',
      'type:nest',
      'type:application',
      'type:domain',
      'type:pki',
      'type:contracts',
      'type:store',
      'type:util',
    ],
  },
  // Test code may use the test helpers (real servers on free ports) from anywhere.
  { sourceTag: 'scope:test', onlyDependOnLibsWithTags: ['*'] },
];

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
    },
  },
  {
    // Specs may import test helpers; the boundary rule still forbids apps and undeclared cycles.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', 'e2e/**/*.ts'],
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
  prettier,
];

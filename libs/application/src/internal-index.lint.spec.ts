import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { ESLint } from 'eslint';

/**
 * The root lint config, run on a source that never touches the disk. ESLint runs in a child process: it
 * loads eslint.config.mjs with a dynamic import, which Jest's module sandbox refuses.
 */
const repoRoot = path.resolve(__dirname, '../../..');
const eslintBin = path.join(path.dirname(require.resolve('eslint/package.json')), 'bin/eslint.js');
const MESSAGE = "A lib's internal.ts is for its own tests only: import its public index, @meshtls/<lib>.";
const STORE_ADAPTERS_MESSAGE =
  'Application code and the Nest role libs depend on the store ports, @meshtls/store';

function restrictedImports(source: string, filePath: string): string[] {
  const run = spawnSync(
    process.execPath,
    [eslintBin, '--format', 'json', '--stdin', '--stdin-filename', path.join(repoRoot, filePath)],
    { cwd: repoRoot, input: source, encoding: 'utf8' },
  );
  const [result] = JSON.parse(run.stdout) as ESLint.LintResult[];
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe("a lib's internal index", () => {
  it.each([
    [
      'to a file outside the lib that imports @meshtls/application/internal',
      "import { DataplaneHub } from '@meshtls/application/internal';\nvoid DataplaneHub;\n",
      'apps/mesh-api/src/fixture.ts',
    ],
    [
      "to another lib that reaches relatively into the lib's src/internal",
      "import { DataplaneHub } from '../../application/src/internal';\nvoid DataplaneHub;\n",
      'libs/nest-mesh-api/src/fixture.ts',
    ],
    [
      'inside a role folder of libs/application too, beside its own import rules',
      "import { CoreModule } from '@meshtls/nest-core/internal';\nvoid CoreModule;\n",
      'libs/application/src/mesh-api/fixture.ts',
    ],
  ])('is refused %s', (_case, source, file) => {
    expect(restrictedImports(source, file)).toEqual([expect.stringContaining(MESSAGE)]);
  });

  it("is open to the lib's own tests", () => {
    const source = "import { DataplaneHub } from '../internal';\nvoid DataplaneHub;\n";
    expect(restrictedImports(source, 'libs/application/src/mesh-api/fixture.spec.ts')).toEqual([]);
  });
});

describe("the store's adapters", () => {
  it('are refused to an application source file, beside the role folder rules', () => {
    const source =
      "import { MemoryResourceStore } from '@meshtls/store/adapters';\nvoid MemoryResourceStore;\n";
    expect(restrictedImports(source, 'libs/application/src/mesh-api/fixture.ts')).toEqual([
      expect.stringContaining(STORE_ADAPTERS_MESSAGE),
    ]);
  });
});

describe("nest-core's test supports", () => {
  const source = "import { startRoleModules } from '@meshtls/nest-core/testing';\nvoid startRoleModules;\n";
  const refusal = '@meshtls/nest-core/testing is for specs';

  it.each([
    'libs/nest-ca-signer/src/fixture.ts',
    'apps/mesh-api/src/fixture.ts',
    'libs/application/src/mesh-api/fixture.ts',
  ])('are refused to shipped code (%s)', (file) => {
    expect(restrictedImports(source, file)).toEqual([expect.stringContaining(refusal)]);
  });

  it('are open to a spec', () => {
    expect(restrictedImports(source, 'libs/nest-ca-signer/src/fixture.int-spec.ts')).toEqual([]);
  });
});

import { defineProject, mergeConfig, type UserWorkspaceConfig } from 'vitest/config'

/**
 * The vitest project every package uses: sources resolved through the `@strata/source` export
 * condition (no build needed to test), `--expose-gc` so memory checks see live memory only.
 */
export function packageProject(name: string, overrides: UserWorkspaceConfig = {}) {
  return mergeConfig(
    defineProject({
      resolve: { conditions: ['@strata/source'] },
      ssr: { resolve: { conditions: ['@strata/source'] } },
      test: {
        name,
        include: ['test/**/*.test.ts'],
        testTimeout: 120_000,
        hookTimeout: 120_000,
        execArgv: ['--expose-gc'],
      },
    }),
    overrides,
  )
}

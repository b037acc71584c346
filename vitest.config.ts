import { defineConfig } from 'vitest/config'

// One vitest project per package; `pnpm vitest` at the root runs them all, `turbo run test` runs them per package.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
  },
})

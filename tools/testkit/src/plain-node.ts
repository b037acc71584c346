import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

/** What {@link runAsPlainNode} runs. */
export interface PlainNodeRun {
  /** The package under test: its name and directory (which must hold a built `dist/`). */
  name: string
  packageDir: string
  /** Packages the script imports beside it, taken from the package's own `node_modules`. */
  alongside?: string[]
  /** The ESM source of the script. */
  script: string
}

/**
 * Runs `script` the way a user would: a plain Node ESM file in a fresh directory whose
 * `node_modules` links the package (and `alongside` packages, as a user would install them), so
 * imports resolve through the `exports` maps to the built `dist/`: no TypeScript tooling, no
 * source condition. Answers the script's stdout.
 * @throws {Error} when the package has no `dist/` (run `pnpm build`) or the script fails.
 */
export async function runAsPlainNode(run: PlainNodeRun): Promise<string> {
  if (!existsSync(join(run.packageDir, 'dist'))) {
    throw new Error(`${run.name} has no dist/: run \`pnpm build\` (turbo runs it before \`test\`)`)
  }
  const dir = await mkdtemp(join(tmpdir(), 'strata-consumer-'))
  try {
    const links: [string, string][] = [
      [run.name, run.packageDir],
      ...(run.alongside ?? []).map((name): [string, string] => [
        name,
        join(run.packageDir, 'node_modules', name),
      ]),
    ]
    for (const [name, target] of links) {
      const link = join(dir, 'node_modules', name)
      await mkdir(dirname(link), { recursive: true })
      await symlink(target, link, 'dir')
    }
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }))
    await writeFile(join(dir, 'main.js'), run.script)
    const { stdout } = await promisify(execFile)(process.execPath, ['main.js'], { cwd: dir })
    return stdout
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

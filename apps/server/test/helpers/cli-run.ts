/** Runs the BUILT `strata` CLI as a child process (building `dist/` first when it is stale). */
import { execFileSync, spawn } from 'node:child_process'
import { readdir, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = join(root, 'bin', 'strata.js')
const built = join(root, 'dist', 'cli', 'index.js')

/** What a run printed and how it exited. */
export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

async function newest(dir: string): Promise<number> {
  let latest = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, (await stat(join(entry.parentPath, entry.name))).mtimeMs)
  }
  return latest
}

/** Builds `dist/` when it is missing or older than `src/` (turbo builds before `test`; `pnpm vitest` does not). */
export async function ensureBuilt(): Promise<void> {
  const distTime = await stat(built).then(
    (s) => s.mtimeMs,
    () => 0,
  )
  if (distTime >= (await newest(join(root, 'src')))) return
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
}

/** Runs `strata …` in `cwd` with only the given `STRATA_*` variables. */
export function strata(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliResult> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('STRATA_')))
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { ...clean, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

#!/usr/bin/env node
// Runs pnpm with the given arguments on a machine that may only have Node and npm:
// uses the pnpm on PATH when its major version matches the pinned one, else `npx pnpm@<pinned>`.
// Installs the workspace first when node_modules is missing or older than the lockfile,
// so `npm start` and `npm test` work on a fresh clone.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1]

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' })
  const major = (v) => v.trim().split('.')[0]
  if (probe.status === 0 && major(probe.stdout) === major(pinned)) return ['pnpm']
  return ['npx', '--yes', `pnpm@${pinned}`]
}

function run(cmd, args) {
  const result = spawnSync(cmd[0], [...cmd.slice(1), ...args], { cwd: root, stdio: 'inherit' })
  if (result.error) throw result.error
  if (result.status !== 0) process.exit(result.status ?? 1)
}

function needsInstall() {
  const marker = join(root, 'node_modules', '.modules.yaml')
  if (!existsSync(marker)) return true
  return statSync(join(root, 'pnpm-lock.yaml')).mtimeMs > statSync(marker).mtimeMs
}

const pnpm = pnpmCommand()
if (needsInstall()) run(pnpm, ['install', '--frozen-lockfile'])
run(pnpm, process.argv.slice(2))

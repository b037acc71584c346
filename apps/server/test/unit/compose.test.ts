import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { configEnvNames, loadConfig } from '@strata/server'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

// docker compose cannot run on the machines that test strata: this keeps docker-compose.yml honest
// against the config schema instead.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..')

interface ComposeService {
  build?: unknown
  environment?: Record<string, string>
  healthcheck?: { test?: unknown }
  depends_on?: Record<string, { condition?: string }>
}

const compose = parse(await readFile(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>
}
const strata = compose.services.strata
const minio = compose.services.minio

describe('docker-compose.yml', () => {
  it('names only environment variables the server reads', () => {
    const known = new Set(configEnvNames())
    const names = Object.keys(strata?.environment ?? {})
    expect(names.length).toBeGreaterThan(0)
    expect(names.filter((name) => !known.has(name))).toEqual([])
  })

  it('configures a valid s3-mode server that the config schema accepts', async () => {
    const env = strata?.environment ?? {}
    const { config } = await loadConfig({ env, cwd: root })
    expect(config.storage.backend).toBe('s3')
    expect(config.storage.s3?.endpoint).toBe('http://minio:9000')
  })

  it('signs with the MinIO root credentials and waits for a healthy MinIO', () => {
    const env = strata?.environment ?? {}
    const minioEnv = minio?.environment ?? {}
    expect(env.STRATA_STORAGE_S3_ACCESS_KEY).toBe(minioEnv.MINIO_ROOT_USER)
    expect(env.STRATA_STORAGE_S3_SECRET_KEY).toBe(minioEnv.MINIO_ROOT_PASSWORD)
    expect(minio?.healthcheck?.test).toBeDefined()
    expect(strata?.depends_on?.minio?.condition).toBe('service_healthy')
  })

  it('builds the server image from the Dockerfile that runs `strata serve`', async () => {
    expect(strata?.build).toBe('.')
    const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8')
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "\/opt\/strata\/bin\/strata\.js"\]/)
    expect(dockerfile).toMatch(/CMD \["serve"\]/)
    expect(dockerfile).toContain(
      `pnpm@${JSON.parse(await readFile(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1]}`,
    )
  })
})

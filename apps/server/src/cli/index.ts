/**
 * The `strata` command line (`bin/strata.js` runs {@link main} from the built `dist/cli/index.js`).
 * @packageDocumentation
 */
import { parseArgs } from 'node:util'
import { CliError, type CliIo, println, processIo, usageError } from './io.js'

export { CliError, type CliIo, processIo } from './io.js'

/** The help text of `strata --help`. */
export const USAGE = `usage: strata <command> [options]

commands:
  serve [--config <file>]                 run the server until SIGINT/SIGTERM
  config check [--config <file>]          print the resolved configuration (secrets redacted)
  get <digest> [--range a-b] [-o <file>] [--url <base>]
                                          download a blob (or a byte range) to stdout or a file
  put <file> [--space <did>] [--url <base>] [--token <token>]
                                          hash, allocate and upload a file; prints digest and URL
  import <file.car> [--owner <did>] [--url <base>] [--token <token>]
                                          import a CAR (every block verified); prints its digest,
                                          roots and block count
  export <cid> [-o <file.car>] [--url <base>]
                                          the DAG under a root as a CAR, to stdout or a file
  inspect <file.car | cid> [--url <base>]
                                          version, roots, blocks per codec and hash, sizes, links
                                          outside the CAR (a file needs no server)
  identity generate [-o <file>]           a new Ed25519 key file (PEM, as piri identity generate)
                                          on stdout or into <file> (0600); its DID on stderr
  identity parse <file>                   print the DID of a key file (checked as serve checks
                                          identity.keyFile)
  identity export [-o <file>] [--config <file>]
                                          the wallet's node identity as a key file (server stopped)
  label get <name>                        print a label (JSON)
  label set <name> <ref> [--owner <did>] [--if-version <v> | --create]
                                          point a label at stored content (CID or z… multihash)
  label rm <name> [--if-version <v>]      delete a label
  label ls [<prefix>]                     list labels: name, ref, version per line
  owner stat <did>                        an owner's blobs, bytes and labels (JSON)
  owner ls <did>                          an owner's blobs: digest and size per line
  owner wipe <did>                        remove an owner's labels, acceptances, allocations, blobs held
  gc [--dry-run]                          collect unreferenced blobs now; prints what it did (JSON)

Commands that write (put, label set/rm, owner wipe, gc) need the token.
The server URL is --url, else STRATA_URL, else the local configuration's server.publicUrl or
http://<server.host>:<server.port>. The token is --token, else STRATA_TOKEN, else the local
configuration's server.authToken or <storage.dataDir>/auth-token.
Exit codes: 0 ok, 1 failure (HTTP or network), 2 usage or invalid configuration.`

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  range: { type: 'string', short: 'r' },
  output: { type: 'string', short: 'o' },
  url: { type: 'string', short: 'u' },
  space: { type: 'string', short: 's' },
  token: { type: 'string', short: 't' },
  owner: { type: 'string' },
  'if-version': { type: 'string' },
  create: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

type Values = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string
}

/** Which options each command takes (others are usage errors). */
const ALLOWED: Record<string, ReadonlyArray<keyof Values>> = {
  serve: ['config'],
  'config check': ['config'],
  get: ['range', 'output', 'url', 'config'],
  put: ['space', 'url', 'token', 'config'],
  import: ['owner', 'url', 'token', 'config'],
  export: ['output', 'url', 'config'],
  inspect: ['url', 'config'],
  'identity generate': ['output'],
  'identity parse': [],
  'identity export': ['output', 'config'],
  'label get': ['url', 'config'],
  'label set': ['owner', 'if-version', 'create', 'url', 'token', 'config'],
  'label rm': ['if-version', 'url', 'token', 'config'],
  'label ls': ['url', 'config'],
  'owner stat': ['url', 'config'],
  'owner ls': ['url', 'config'],
  'owner wipe': ['url', 'token', 'config'],
  gc: ['dry-run', 'url', 'token', 'config'],
}

/** How many arguments each command takes: `[min, max]` (default none). */
const ARITY: Record<string, [number, number]> = {
  get: [1, 1],
  put: [1, 1],
  import: [1, 1],
  export: [1, 1],
  inspect: [1, 1],
  'identity parse': [1, 1],
  'label get': [1, 1],
  'label set': [2, 2],
  'label rm': [1, 1],
  'label ls': [0, 1],
  'owner stat': [1, 1],
  'owner ls': [1, 1],
  'owner wipe': [1, 1],
}

/** Commands with subcommands: `config check`, `identity generate`, `label get`, `owner stat`, … */
const GROUPS = new Set(['config', 'identity', 'label', 'owner'])

function parse(argv: readonly string[]): { command: string; rest: string[]; values: Values } {
  let parsed: { values: Values; positionals: string[] }
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error))
  }
  const [first = '', ...rest] = parsed.positionals
  if (GROUPS.has(first)) {
    const [sub = '', ...more] = rest
    return { command: `${first} ${sub}`.trim(), rest: more, values: parsed.values }
  }
  return { command: first, rest, values: parsed.values }
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { command, rest, values } = parse(argv)
  if (values.help === true || command === '' || command === 'help') {
    println(command === '' && values.help !== true ? io.stderr : io.stdout, USAGE)
    return command === '' && values.help !== true ? 2 : 0
  }
  const allowed = ALLOWED[command]
  if (allowed === undefined) throw usageError(`unknown command: ${command}`)
  for (const key of Object.keys(values) as Array<keyof Values>) {
    if (key !== 'help' && !allowed.includes(key)) throw usageError(`${command} does not take --${key}`)
  }
  const [least, most] = ARITY[command] ?? [0, 0]
  if (rest.length < least || rest.length > most) {
    const words = ['no', 'one', 'two']
    const count = least === most ? `exactly ${words[least]}` : `at most ${words[most]}`
    const noun = most === 1 ? 'argument' : 'arguments'
    throw usageError(most === 0 ? `${command} takes no arguments` : `${command} takes ${count} ${noun}`)
  }
  if (values['if-version'] !== undefined && values.create === true)
    throw usageError('--if-version and --create exclude each other')
  const arg = rest[0] ?? ''
  const opt = <K extends keyof Values>(key: K) => (values[key] === undefined ? {} : { [key]: values[key] })
  const target = { ...opt('url'), ...opt('token'), ...opt('config') }
  const content = () => import('./content.js')
  const ifVersion = values['if-version'] === undefined ? {} : { ifVersion: values['if-version'] }
  switch (command) {
    case 'label get':
      return (await content()).labelGet(io, arg, target)
    case 'label set':
      return (await content()).labelSet(io, arg, rest[1] ?? '', {
        ...target,
        ...opt('owner'),
        ...ifVersion,
        ...(values.create === true ? { create: true } : {}),
      })
    case 'label rm':
      return (await content()).labelRm(io, arg, { ...target, ...ifVersion })
    case 'label ls':
      return (await content()).labelLs(io, arg, target)
    case 'owner stat':
      return (await content()).ownerStat(io, arg, target)
    case 'owner ls':
      return (await content()).ownerLs(io, arg, target)
    case 'owner wipe':
      return (await content()).ownerWipe(io, arg, target)
    case 'gc':
      return (await content()).gc(io, { ...target, ...(values['dry-run'] === true ? { dryRun: true } : {}) })
    case 'serve':
      return (await import('./serve.js')).serve(io, values.config)
    case 'config check':
      return (await import('./config-check.js')).configCheck(io, values.config)
    case 'identity generate':
      return (await import('./identity-generate.js')).identityGenerate(io, values.output)
    case 'identity parse':
      return (await import('./identity-parse.js')).identityParse(io, arg)
    case 'identity export':
      return (await import('./identity-export.js')).identityExport(io, { ...opt('output'), ...opt('config') })
    case 'get':
      return (await import('./get.js')).get(io, {
        digest: arg,
        ...opt('range'),
        ...opt('output'),
        ...opt('url'),
        ...opt('config'),
      })
    case 'import':
      return (await import('./import.js')).importCar(io, {
        file: arg,
        ...opt('owner'),
        ...opt('url'),
        ...opt('token'),
        ...opt('config'),
      })
    case 'export':
      return (await import('./export.js')).exportCar(io, {
        cid: arg,
        ...opt('output'),
        ...opt('url'),
        ...opt('config'),
      })
    case 'inspect':
      return (await import('./inspect.js')).inspect(io, { source: arg, ...opt('url'), ...opt('config') })
    default:
      return (await import('./put.js')).put(io, {
        file: arg,
        ...opt('space'),
        ...opt('url'),
        ...opt('token'),
        ...opt('config'),
      })
  }
}

/**
 * Runs `strata` with `argv` (without `node` and the script) and answers the exit code. Known
 * failures ({@link CliError}, invalid configuration) print `strata: <message>` and their detail
 * lines on stderr, never a stack trace; unexpected errors print their message (stack with
 * `STRATA_DEBUG=1`) and answer 1.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    return await run(argv, io)
  } catch (error) {
    if (error instanceof CliError) {
      println(io.stderr, `strata: ${error.message}`)
      for (const line of error.details) println(io.stderr, `  ${line}`)
      return error.exitCode
    }
    const debug = io.env.STRATA_DEBUG === '1'
    const text =
      error instanceof Error ? (debug ? (error.stack ?? error.message) : error.message) : String(error)
    println(io.stderr, `strata: ${text}`)
    return 1
  }
}

/**
 * The on-disk layout of go-ds-flatfs as Piri uses it: `<root>/SHARDING`, `<root>/_README`,
 * objects at `<root>/<shard>/<key>.data`, writes staged in `<root>/.temp/`.
 */

/** The one shard function supported, written to `SHARDING` followed by a newline. */
export const SHARD_ID = '/repo/flatfs/shard/v1/next-to-last/2'
export const SHARDING_FILE = 'SHARDING'
/**
 * The names a shard-function file may have, in the order they are read: go-ds-flatfs (and Piri)
 * write `SHARDING`; js-stores' `datastore-fs` stores it as a datastore key, hence `SHARDING.data`.
 */
export const SHARDING_FILES = [SHARDING_FILE, 'SHARDING.data'] as const
export const README_FILE = '_README'
export const TEMP_DIR = '.temp'
export const EXTENSION = '.data'

/** Keys are lowercase base32-like: `[0-9a-z+\-_=]`, and short enough for a file name with `.data`. */
const KEY_PATTERN = /^[0-9a-z+\-_=]+$/
export const MAX_FLATFS_KEY_LENGTH = 255 - EXTENSION.length

/** Why `key` cannot be a flatfs key, or `undefined` when it can. */
export function invalidKeyReason(key: string): string | undefined {
  if (!KEY_PATTERN.test(key)) return 'flatfs keys may only contain [0-9a-z+-_=]'
  if (key.length > MAX_FLATFS_KEY_LENGTH) return `flatfs keys are at most ${MAX_FLATFS_KEY_LENGTH} characters`
  return undefined
}

/**
 * `next-to-last/2`: the two characters before the last one, the key padded on the left with `_`
 * when it is shorter than three characters.
 */
export function shardOf(key: string): string {
  const padded = `___${key}`
  return padded.slice(-3, -1)
}

/** The `_README` Piri writes beside `SHARDING` for the default shard function. */
export const README_TEXT = `This is a repository of object data. Each object is in a single file named
<key>.data. Where <key> is a unique identifier for the object. Typically this
repo stores content addressed data, where <key> is a base32 (lowercase, no
padding) encoded multihash.

All the object files are placed in a tree of directories, based on a
function of the key. This function takes the next-to-last two characters of the
key, with underscore padding characters added if the key is too short. This is a
form of sharding similar to the objects directory in git repositories.

For example, an object with a base58 CIDv1 of:

    zb2rhYSxw4ZjuzgCnWSt19Q94ERaeFhu9uSqRgjSdx9bsgM6f

has a base32 (lowercase, no padding) encoded multihash of:

    ciqbvukwqh2atuvj7jcnz6ygxc5sqp5qluuaxju7mik7krx7qwvdeea

and will be placed at:

    ee/ciqbvukwqh2atuvj7jcnz6ygxc5sqp5qluuaxju7mik7krx7qwvdeea.data

with 'ee' being the next-to-last two characters.
`

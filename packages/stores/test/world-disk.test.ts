import { describe } from 'vitest'
import { diskBackends } from './world.js'
import { contentCases } from './world-cases/content.js'
import { useWorlds } from './world-cases/context.js'
import { gcCases } from './world-cases/gc.js'
import { ownerCases } from './world-cases/owners.js'
import { repoCases } from './world-cases/repos.js'

describe('labels, owners, gc, content and repos on flatfs + LevelDB', () => {
  const ctx = useWorlds(diskBackends)
  ownerCases(ctx)
  gcCases(ctx)
  contentCases(ctx)
  repoCases(ctx)
})

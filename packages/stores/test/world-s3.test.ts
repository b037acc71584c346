import { describeS3 } from '@strata/testkit'
import { s3Backends } from './world.js'
import { contentCases } from './world-cases/content.js'
import { useWorlds } from './world-cases/context.js'
import { gcCases } from './world-cases/gc.js'
import { ownerCases } from './world-cases/owners.js'
import { repoCases } from './world-cases/repos.js'

describeS3('labels, owners, gc, content and repos on S3 (Ceph RGW)', (settings) => {
  const ctx = useWorlds(() => s3Backends(settings, 'world'))
  ownerCases(ctx)
  gcCases(ctx)
  contentCases(ctx)
  repoCases(ctx)
})

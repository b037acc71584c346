#!/usr/bin/env node
// The upload client of the http-upload suite, in its own process (so that neither the bench
// process nor the server under test shares its event loop, and its CPU can be told apart): makes
// `size` fresh pattern bytes (lib/measure.mjs), hashes them (untimed), prints `{"msg":"start"}`,
// then uploads them and prints `{"msg":"done","ms":…,"cpuMs":…,"z":…}` (wall and own CPU time of
// the upload alone). `strata`: allocate (bearer token) + presigned PUT, verified by the server;
// `bare`: one PUT of the stream to the bare node:http → file server.
// Usage: node bench/clients/upload.mjs '{"kind":"strata","url":…,"token":…,"did":…,"size":…}'
//        node bench/clients/upload.mjs '{"kind":"bare","url":…,"name":"blob","size":…}'
import { patternSource } from '../lib/measure.mjs'
import { bareUpload, strataUpload, zDigestOf } from '../lib/strata-server.mjs'

const job = JSON.parse(process.argv[2] ?? '{}')
const source = patternSource(job.size)
const z = job.kind === 'strata' ? await zDigestOf(source) : undefined
const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`)

say({ msg: 'start' })
const cpu = process.cpuUsage()
const start = process.hrtime.bigint()
if (job.kind === 'strata') await strataUpload(job, z, job.size, source)
else if (job.kind === 'bare') await bareUpload(job, job.name, job.size, source)
else throw new Error(`unknown kind ${job.kind}`)
const ms = Number(process.hrtime.bigint() - start) / 1e6
const used = process.cpuUsage(cpu)
say({ msg: 'done', ms, cpuMs: (used.user + used.system) / 1000, z })

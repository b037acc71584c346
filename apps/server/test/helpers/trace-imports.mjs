// `node --import ./trace-imports.mjs …`: appends the URL of every module the process resolves to
// the file named by TRACE_IMPORTS_FILE (module.register resolve hook, Node >= 20.6).
import { register } from 'node:module'

register('./trace-imports-hooks.mjs', import.meta.url, { data: { file: process.env.TRACE_IMPORTS_FILE } })

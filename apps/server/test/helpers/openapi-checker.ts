/**
 * Checks real answers against the server's OpenAPI 3.1 description: each answer's status must be
 * declared for its operation, its content type must be one the status declares (an answer with a
 * body where none is declared fails), and a JSON body must validate (Ajv, JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1) against the declared schema. Records which operations were exercised.
 */
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

interface MediaType {
  schema?: unknown
}
interface Response {
  content?: Record<string, MediaType>
}
interface Operation {
  responses: Record<string, Response>
}
/** The parts of an OpenAPI document the checker reads. */
export interface OpenApiDocument {
  openapi: string
  paths: Record<string, Record<string, Operation>>
}

/** An answer as a test saw it. */
export interface SeenAnswer {
  status: number
  /** The `Content-Type` header, if any. */
  contentType: string | undefined
  body: Uint8Array
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const

/** A JSON pointer segment in a URI fragment. */
const segment = (text: string) => encodeURIComponent(text.replaceAll('~', '~0').replaceAll('/', '~1'))

export class OpenApiChecker {
  readonly #doc: OpenApiDocument
  readonly #ajv: Ajv2020
  readonly #templates: { template: string; pattern: RegExp; literals: number }[]
  readonly #seen = new Map<string, Set<number>>()

  constructor(doc: OpenApiDocument) {
    this.#doc = doc
    // OpenAPI adds keywords of its own (example, discriminator …): not errors here.
    this.#ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormats.default(this.#ajv)
    this.#ajv.addFormat('binary', true)
    this.#ajv.addSchema(doc as object, 'api')
    this.#templates = Object.keys(doc.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        literals: template.split('/').filter((part) => part !== '' && !part.startsWith('{')).length,
      }))
      .sort((a, b) => b.literals - a.literals)
  }

  /** Every operation of the document, as `METHOD /template`. */
  operations(): string[] {
    return Object.entries(this.#doc.paths).flatMap(([template, item]) =>
      METHODS.filter((method) => item[method] !== undefined).map(
        (method) => `${method.toUpperCase()} ${template}`,
      ),
    )
  }

  /** The operations exercised so far, each with the statuses seen. */
  seen(): Map<string, Set<number>> {
    return this.#seen
  }

  /**
   * Checks one answer to `method path`; HEAD is checked against GET (no body).
   * @throws {Error} naming the operation and what does not match.
   */
  check(method: string, path: string, answer: SeenAnswer): void {
    const pathname = new URL(path, 'http://x').pathname
    const found = this.#templates.find(({ pattern }) => pattern.test(pathname))
    if (found === undefined) throw new Error(`${method} ${pathname}: no path of the description matches`)
    const head = method.toUpperCase() === 'HEAD'
    const verb = head ? 'get' : method.toLowerCase()
    const operation = this.#doc.paths[found.template]?.[verb]
    const name = `${verb.toUpperCase()} ${found.template}`
    if (operation === undefined) throw new Error(`${name}: not in the description`)
    const response = operation.responses[String(answer.status)] ?? operation.responses.default
    if (response === undefined) {
      throw new Error(
        `${name}: status ${answer.status} is not declared (${Object.keys(operation.responses).join(', ')})`,
      )
    }
    const statuses = this.#seen.get(name) ?? new Set<number>()
    this.#seen.set(name, statuses.add(answer.status))
    if (head) return
    const declared = response.content ?? {}
    const mediaType = answer.contentType?.split(';')[0]?.trim().toLowerCase()
    if (answer.body.byteLength === 0 && mediaType === undefined) return
    if (mediaType === undefined || declared[mediaType] === undefined) {
      throw new Error(
        `${name} ${answer.status}: content type ${mediaType ?? '(none)'} is not declared (${Object.keys(declared).join(', ') || 'no body'})`,
      )
    }
    if (!mediaType.endsWith('json') || declared[mediaType]?.schema === undefined) return
    const pointer = [
      'paths',
      found.template,
      verb,
      'responses',
      String(answer.status),
      'content',
      mediaType,
      'schema',
    ]
    const key = answer.status in operation.responses ? pointer : pointer.with(4, 'default')
    const validate = this.#ajv.getSchema(`api#/${key.map(segment).join('/')}`)
    if (validate === undefined) throw new Error(`${name} ${answer.status}: no schema at ${key.join('/')}`)
    const body: unknown = JSON.parse(new TextDecoder().decode(answer.body))
    if (!validate(body)) {
      throw new Error(
        `${name} ${answer.status}: body does not match the description: ${this.#ajv.errorsText(validate.errors)}; body ${JSON.stringify(body).slice(0, 300)}`,
      )
    }
  }
}

/**
 * The CAR resource: import (`import.ts`, bearer) and public export (`export.ts`: no write code).
 * @packageDocumentation
 */
export { CAR_EXPORT_CONTENT_TYPE, type CarExportRoutesOptions, carExportRoutes } from './export.js'
export { type CarImportRoutesOptions, carImportRoutes } from './import.js'

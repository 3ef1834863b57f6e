/** The security features as the memory uses them: one import for memory.ts. */
export {
  type AuditEvent,
  type AuditReport,
  type ExportAuditOptions,
  exportAuditLog,
  GENESIS_HASH,
  sealEntry,
  verifyAuditLog,
} from './audit.js'
export { type EncryptionOptions, isEncryptionCodec } from './encryption.js'
export { type ForgetSubjectOptions, type ForgetSubjectQuery, type ForgetSubjectReport, forgetSubject } from './forget-subject.js'
export type { SecurityHost } from './host.js'
export { readVectorOrMissing } from './integrity.js'
export { noteRedactions, type RedactionCounts, type Redactor, redactInput, redactItems } from './redact.js'
export { type RotateOptions, type RotationReport, reencrypt, rotateKey } from './rotation.js'
export { openSecurity } from './setup.js'

export type { MemoryErrorCode, SerializedMemoryError } from './core/errors.js'
export { deserializeMemoryError, ERROR_CODES, isMemoryError, MemoryError } from './core/errors.js'
export { compileFilter } from './core/filter.js'
export { KeywordIndex, tokenize } from './core/keyword.js'
export type { MemoryInternals } from './core/memory.js'
export { createMemory, EngramMemory } from './core/memory.js'
export * from './core/types.js'
export type { BertModelConfig } from './embed/bert.js'
export type { CreateEmbedderOptions, EmbedderModel } from './embed/create.js'
export { createEmbedder } from './embed/create.js'
export type { Embedder, EmbedOptions } from './embed/embedder.js'
export type { TestEmbedderOptions } from './embed/hashing.js'
export { createTestEmbedder } from './embed/hashing.js'
export type { DownloadProgress, ModelCache } from './embed/model-loader.js'
export type { BuiltinModelName } from './embed/models.js'
export type { OpenAIEmbedderOptions, WorkersAIBinding, WorkersAIEmbedderOptions } from './embed/remote.js'
export { createOpenAIEmbedder, createWorkersAIEmbedder } from './embed/remote.js'
export type {
  AuditEvent,
  AuditReport,
  EncryptionOptions,
  ExportAuditOptions,
  ForgetSubjectReport,
  RedactionCounts,
} from './security/hooks.js'
export type { BlobCodec } from './store/codec.js'
export { plainCodec } from './store/codec.js'
export type { DriverOp, ListResult, SetOptions, StoreDriver } from './store/driver.js'
export { memoryDriver } from './store/drivers/memory.js'
export { createVectorIndex, FLAT_LIMIT, type VectorIndexOptions } from './vector/create.js'
export { FlatIndex } from './vector/flat.js'
export { loadUsearchModule, UsearchIndex, type UsearchIndexOptions, type UsearchWasmSource } from './vector/usearch.js'
export type { CreateVectorIndexOptions, Metric, Quantization, SearchHit, SearchOptions, VectorIndex } from './vector/vector-index.js'

// Public API of experiment tracking: TensorBoard event files (writer, reader, the fit callback).
export { crc32c, maskedCrc32c } from './crc32c.ts';
export {
  type DecodedEvent,
  decodeEvent,
  EventWriter,
  type Histogram,
  histogramOf,
  tensorboardType,
} from './events.ts';
export {
  type MetricPoint,
  type MetricScope,
  RUN_STORE_SCHEMA_VERSION,
  type RunRecord,
  RunStore,
  RunTracker,
} from './run-store.ts';
export { openSqlite, type SqlDatabase, type SqlStatement, type SqlValue, sqliteBinding } from './sqlite.ts';
export { TensorBoard, type TensorBoardOptions } from './tensorboard-callback.ts';
export { frameRecord, readRecords } from './tfrecord.ts';

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
export { TensorBoard, type TensorBoardOptions } from './tensorboard-callback.ts';
export { frameRecord, readRecords } from './tfrecord.ts';

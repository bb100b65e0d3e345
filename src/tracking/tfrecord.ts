/**
 * TFRecord framing, as TensorBoard reads event files: each record is
 *   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes | data | uint32 masked CRC-32C of data.
 */
import { fail } from '../core/errors.ts';
import { maskedCrc32c } from './crc32c.ts';

/** One framed record. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  // Lengths above 2^32 never occur for summaries; the high word stays 0.
  view.setUint32(0, data.length, true);
  view.setUint32(4, 0, true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/**
 * The records of a TFRecord file, each checked against both CRCs; `file` names the source in errors.
 * A truncated last record (a writer still running) is an error too, with its offset.
 */
export function readRecords(bytes: Uint8Array, file = 'TFRecord'): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  while (off < bytes.length) {
    if (off + 12 > bytes.length) fail('readRecords', `${file}: truncated record header at byte ${off}`);
    const lo = view.getUint32(off, true);
    const hi = view.getUint32(off + 4, true);
    if (hi !== 0) fail('readRecords', `${file}: record at byte ${off} claims more than 4 GiB`);
    const lenCrc = view.getUint32(off + 8, true);
    if (lenCrc !== maskedCrc32c(bytes.subarray(off, off + 8)))
      fail('readRecords', `${file}: length CRC mismatch at byte ${off}`);
    const start = off + 12;
    if (start + lo + 4 > bytes.length) fail('readRecords', `${file}: truncated record data at byte ${off}`);
    const data = bytes.subarray(start, start + lo);
    if (view.getUint32(start + lo, true) !== maskedCrc32c(data))
      fail('readRecords', `${file}: data CRC mismatch in the record at byte ${off}`);
    out.push(data);
    off = start + lo + 4;
  }
  return out;
}

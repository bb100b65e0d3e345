/**
 * An event-file reader written apart from src/tracking (its own bitwise CRC-32C and its own protobuf wire
 * decoder, field numbers from TensorBoard's event.proto/summary.proto), so the tests check the files against
 * the format rather than against the writer's own code.
 */

/** Bitwise CRC-32C (no table), reflected polynomial 0x82F63B78. */
export function crc32cBitwise(b: Uint8Array): number {
  let c = ~0 >>> 0;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0x82f63b78 & -(c & 1));
  }
  return ~c >>> 0;
}

function masked(b: Uint8Array): number {
  const c = crc32cBitwise(b);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

/** The records' data; throws on a bad CRC or a truncated record. */
export function tfrecords(buf: Uint8Array): Uint8Array[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Uint8Array[] = [];
  let o = 0;
  while (o < buf.length) {
    const len = Number(dv.getBigUint64(o, true));
    if (dv.getUint32(o + 8, true) !== masked(buf.subarray(o, o + 8))) throw new Error(`length crc at ${o}`);
    const data = buf.subarray(o + 12, o + 12 + len);
    if (data.length !== len) throw new Error(`truncated at ${o}`);
    if (dv.getUint32(o + 12 + len, true) !== masked(data)) throw new Error(`data crc at ${o}`);
    out.push(data);
    o += 16 + len;
  }
  return out;
}

type Field = { n: number; wire: number; v: bigint | Uint8Array | number };

/** The fields of one protobuf message (varints as bigint, fixed64 as float64, fixed32 as float32). */
function fields(b: Uint8Array): Field[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Field[] = [];
  let o = 0;
  const varint = (): bigint => {
    let r = 0n;
    let s = 0n;
    for (;;) {
      const x = b[o++]!;
      r |= BigInt(x & 0x7f) << s;
      s += 7n;
      if ((x & 0x80) === 0) return r;
    }
  };
  while (o < b.length) {
    const key = Number(varint());
    const n = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ n, wire, v: varint() });
    else if (wire === 1) {
      out.push({ n, wire, v: dv.getFloat64(o, true) });
      o += 8;
    } else if (wire === 5) {
      out.push({ n, wire, v: dv.getFloat32(o, true) });
      o += 4;
    } else if (wire === 2) {
      const len = Number(varint());
      out.push({ n, wire, v: b.subarray(o, o + len) });
      o += len;
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}

function doubles(f: Field): number[] {
  if (f.wire === 1) return [f.v as number];
  const b = f.v as Uint8Array;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.length / 8 }, (_, i) => dv.getFloat64(i * 8, true));
}

export interface ReadValue {
  tag: string;
  simple?: number;
  histo?: { min: number; max: number; num: number; sum: number; limits: number[]; counts: number[] };
  image?: { height: number; width: number; colorspace: number; png: Uint8Array };
}
export interface ReadEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: ReadValue[];
}

const text = (v: Field['v']) => new TextDecoder().decode(v as Uint8Array);

/** Event (1 wall_time double, 2 step int64, 3 file_version, 5 summary) with Summary.Value (1 tag, 2 simple_value, 4 image, 5 histo). */
export function readEvents(buf: Uint8Array): ReadEvent[] {
  return tfrecords(buf).map((rec) => {
    const ev: ReadEvent = { wallTime: 0, step: 0, values: [] };
    for (const f of fields(rec)) {
      if (f.n === 1) ev.wallTime = f.v as number;
      else if (f.n === 2) ev.step = Number(f.v);
      else if (f.n === 3) ev.fileVersion = text(f.v);
      else if (f.n === 5)
        for (const vf of fields(f.v as Uint8Array)) {
          if (vf.n !== 1) continue;
          const val: ReadValue = { tag: '' };
          for (const x of fields(vf.v as Uint8Array)) {
            if (x.n === 1) val.tag = text(x.v);
            else if (x.n === 2) val.simple = x.v as number;
            else if (x.n === 5) {
              const h = { min: 0, max: 0, num: 0, sum: 0, limits: [] as number[], counts: [] as number[] };
              for (const y of fields(x.v as Uint8Array)) {
                if (y.n === 1) h.min = y.v as number;
                else if (y.n === 2) h.max = y.v as number;
                else if (y.n === 3) h.num = y.v as number;
                else if (y.n === 4) h.sum = y.v as number;
                // Repeated doubles come packed (wire type 2) or one per field (wire type 1); parsers take both.
                else if (y.n === 6) h.limits.push(...doubles(y));
                else if (y.n === 7) h.counts.push(...doubles(y));
              }
              val.histo = h;
            } else if (x.n === 4) {
              const im: NonNullable<ReadValue['image']> = {
                height: 0,
                width: 0,
                colorspace: 0,
                png: new Uint8Array(),
              };
              for (const y of fields(x.v as Uint8Array)) {
                if (y.n === 1) im.height = Number(y.v);
                else if (y.n === 2) im.width = Number(y.v);
                else if (y.n === 3) im.colorspace = Number(y.v);
                else if (y.n === 4) im.png = y.v as Uint8Array;
              }
              val.image = im;
            }
          }
          ev.values.push(val);
        }
    }
    return ev;
  });
}

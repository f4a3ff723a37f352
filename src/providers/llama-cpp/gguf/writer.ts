/**
 * A minimal GGUF v3 encoder: typed metadata plus F32 tensors, laid out as llama.cpp's loader
 * expects (little endian, 64-bit counts, tensor data aligned to `general.alignment`).
 */

/** GGUF metadata value types, by their on-disk type ids. */
const VALUE_TYPE = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const;

type ScalarType = 'u32' | 'i32' | 'f32' | 'bool' | 'string' | 'u64';

export type GgufValue =
  | { type: 'u32' | 'i32' | 'f32'; value: number }
  | { type: 'u64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: 'string'; value: readonly string[] }
  | { type: 'array'; itemType: 'u32' | 'i32' | 'f32'; value: ArrayLike<number> };

export interface GgufTensor {
  name: string;
  /** ggml order: the first dimension is the contiguous one (row length). */
  dims: readonly number[];
  data: Float32Array;
}

const GGML_TYPE_F32 = 0;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Appends little-endian values to a growing byte buffer. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
  }
  u32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  f32(v: number): void {
    this.reserve(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  u64(v: bigint | number): void {
    this.reserve(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.bytes(b);
  }
  padTo(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0);
  }
  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeScalar(sink: ByteSink, type: ScalarType, value: unknown): void {
  switch (type) {
    case 'u32':
      return sink.u32(value as number);
    case 'i32':
      return sink.i32(value as number);
    case 'f32':
      return sink.f32(value as number);
    case 'bool':
      return sink.u8(value ? 1 : 0);
    case 'string':
      return sink.string(value as string);
    case 'u64':
      return sink.u64(value as bigint);
  }
}

function writeValue(sink: ByteSink, v: GgufValue): void {
  sink.u32(VALUE_TYPE[v.type]);
  if (v.type !== 'array') return writeScalar(sink, v.type, v.value);
  sink.u32(VALUE_TYPE[v.itemType]);
  sink.u64(v.value.length);
  for (let i = 0; i < v.value.length; i++) writeScalar(sink, v.itemType, v.value[i]);
}

/**
 * Encodes a complete GGUF v3 file. `metadata` is written in insertion order; when it has no
 * `general.alignment`, the default of 32 applies (and is what llama.cpp assumes).
 */
export function encodeGguf(
  metadata: Map<string, GgufValue>,
  tensors: readonly GgufTensor[],
): Buffer {
  const alignmentEntry = metadata.get('general.alignment');
  const alignment = alignmentEntry?.type === 'u32' ? alignmentEntry.value : GGUF_DEFAULT_ALIGNMENT;
  const sink = new ByteSink();
  sink.bytes(Buffer.from('GGUF', 'latin1'));
  sink.u32(3);
  sink.u64(tensors.length);
  sink.u64(metadata.size);
  for (const [key, value] of metadata) {
    sink.string(key);
    writeValue(sink, value);
  }

  let offset = 0;
  for (const t of tensors) {
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new Error(`tensor ${t.name}: dims ${t.dims.join('x')} need ${count} values`);
    }
    sink.string(t.name);
    sink.u32(t.dims.length);
    for (const d of t.dims) sink.u64(d);
    sink.u32(GGML_TYPE_F32);
    sink.u64(offset);
    offset += t.data.byteLength;
    offset += (alignment - (offset % alignment)) % alignment;
  }

  sink.padTo(alignment);
  for (const t of tensors) {
    sink.bytes(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    sink.padTo(alignment);
  }
  return sink.result();
}

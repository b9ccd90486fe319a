/**
 * A minimal GGUF reader (header, metadata, tensor infos; no tensor data) so tests can check the generated models
 * without Python. Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (little-endian, version 3).
 */
import { closeSync, openSync, readSync } from 'node:fs';

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensorInfo {
  readonly name: string;
  /** ggml's ne: ne[0] is the row length (input width). */
  readonly shape: number[];
  /** ggml type id (0 F32, 12 Q4_K, …). */
  readonly type: number;
}

export interface Gguf {
  readonly version: number;
  readonly metadata: Map<string, GgufValue>;
  readonly tensors: GgufTensorInfo[];
}

enum T {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** Reads the file's header part (metadata and tensor infos), growing the read window as needed. */
export function readGguf(path: string): Gguf {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.alloc(0);
    let pos = 0;
    const need = (n: number) => {
      if (pos + n <= buf.length) return;
      const more = Buffer.alloc(Math.max(n, 8 * 1024 * 1024));
      const got = readSync(fd, more, 0, more.length, buf.length);
      if (got < pos + n - buf.length) throw new Error(`${path}: truncated GGUF`);
      buf = Buffer.concat([buf, more.subarray(0, got)]);
    };
    /** Reads one fixed-size little-endian scalar at the cursor and moves past it. */
    const scalar = <V>(size: number, read: (at: number) => V): V => {
      need(size);
      pos += size;
      return read(pos - size);
    };
    const u32 = () => scalar(4, (at) => buf.readUInt32LE(at));
    const u64 = () => scalar(8, (at) => buf.readBigUInt64LE(at));
    const str = () => {
      const n = Number(u64());
      return scalar(n, (at) => buf.toString('utf8', at, at + n));
    };
    const value = (type: number): GgufValue => {
      switch (type) {
        case T.UINT8:
          return scalar(1, (at) => buf.readUInt8(at));
        case T.INT8:
          return scalar(1, (at) => buf.readInt8(at));
        case T.UINT16:
          return scalar(2, (at) => buf.readUInt16LE(at));
        case T.INT16:
          return scalar(2, (at) => buf.readInt16LE(at));
        case T.UINT32:
          return u32();
        case T.INT32:
          return scalar(4, (at) => buf.readInt32LE(at));
        case T.FLOAT32:
          return scalar(4, (at) => buf.readFloatLE(at));
        case T.BOOL:
          return scalar(1, (at) => buf.readUInt8(at) !== 0);
        case T.STRING:
          return str();
        case T.ARRAY: {
          const itemType = u32();
          const n = Number(u64());
          const items: GgufValue[] = new Array(n);
          for (let i = 0; i < n; i++) items[i] = value(itemType);
          return items;
        }
        case T.UINT64:
          return u64();
        case T.INT64:
          return scalar(8, (at) => buf.readBigInt64LE(at));
        case T.FLOAT64:
          return scalar(8, (at) => buf.readDoubleLE(at));
        default:
          throw new Error(`${path}: unknown GGUF value type ${type} at byte ${pos}`);
      }
    };

    need(4);
    if (buf.toString('latin1', 0, 4) !== 'GGUF') throw new Error(`${path}: not a GGUF file`);
    pos = 4;
    const version = u32();
    const tensorCount = Number(u64());
    const kvCount = Number(u64());
    const metadata = new Map<string, GgufValue>();
    for (let i = 0; i < kvCount; i++) {
      const key = str();
      metadata.set(key, value(u32()));
    }
    const tensors: GgufTensorInfo[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = str();
      const dims = u32();
      const shape: number[] = [];
      for (let d = 0; d < dims; d++) shape.push(Number(u64()));
      const type = u32();
      u64(); // offset
      tensors.push({ name, shape, type });
    }
    return { version, metadata, tensors };
  } finally {
    closeSync(fd);
  }
}

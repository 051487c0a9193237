/// <reference types="node" />
export type Bytes = Buffer | Uint8Array | ArrayBufferView | ArrayBuffer | string;

/** Errors thrown or rejected by every call: the detail of that very call. */
export interface SrdError extends Error {
  /** 'SRD_NOT_FOUND', 'SRD_IO', ... */
  code: string;
  /** The srd_status number. */
  status: number;
  /** The OS error number (positive, as in <errno.h>), 0 if none. */
  errno: number;
  /** The errno's name ('ENOENT', ...), '' if none. */
  osCode: string;
}

export interface OpenOptions {
  readOnly?: boolean; noCreate?: boolean; sync?: boolean;
  noVerify?: boolean; noIndexFile?: boolean; preallocate?: boolean;
}

export class Store {
  static open(path: string, options?: OpenOptions | number): Store;
  static openAsync(path: string, options?: OpenOptions | number): Promise<Store>;
  close(): void;
  put(key: Bytes, value: Bytes): void;
  get(key: Bytes): Buffer;
  /** Zero-copy, read-only memory: never write to it. */
  getEntry(key: Bytes): ArrayBuffer;
  delete(key: Bytes): void;
  exists(key: Bytes): boolean;
  putBatch(pairs: Iterable<[Bytes, Bytes]>): void;
  compact(): void;
  sync(): void;
  count(): number;
  putAsync(key: Bytes, value: Bytes): Promise<void>;
  getAsync(key: Bytes): Promise<Buffer>;
  getEntryAsync(key: Bytes): Promise<ArrayBuffer>;
  deleteAsync(key: Bytes): Promise<void>;
  compactAsync(): Promise<void>;
  entries(): Generator<[bigint, Buffer]>;
}

export function open(path: string, options?: OpenOptions | number): Store;
export function openAsync(path: string, options?: OpenOptions | number): Promise<Store>;
export function hashKey(key: Bytes): bigint;
export function version(): string;
export const flags: {
  READ_ONLY: number; NO_CREATE: number; SYNC: number;
  NO_VERIFY: number; NO_INDEX_FILE: number; PREALLOCATE: number;
};

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
  fileSize(): number;

  /** Conditional writes: a false condition throws code 'SRD_CONFLICT'. */
  putIfAbsent(key: Bytes, value: Bytes): void;
  putIfVersion(key: Bytes, version: Version, value: Bytes): void;
  deleteIfVersion(key: Bytes, version: Version): void;
  /** The file offset of the key's live value. */
  version(key: Bytes): number;
  getWithVersion(key: Bytes): { value: Buffer; version: number };
  putIfAbsentAsync(key: Bytes, value: Bytes): Promise<void>;
  putIfVersionAsync(key: Bytes, version: Version, value: Bytes): Promise<void>;
  deleteIfVersionAsync(key: Bytes, version: Version): Promise<void>;
  versionAsync(key: Bytes): Promise<number>;
  getWithVersionAsync(key: Bytes): Promise<{ value: Buffer; version: number }>;

  /** A read-only store frozen at this moment. */
  snapshot(): Store;
  backup(dst: string, progress?: (done: number, total: number) => void): void;
  backupAsync(dst: string, progress?: (done: number, total: number) => void): Promise<void>;
  /** Returns the number of deletes applied. */
  apply(ops: Iterable<Op>): number;
  applyAsync(ops: Iterable<Op>): Promise<number>;
}

/** A version: the file offset of a value (a Number; a BigInt is accepted). */
export type Version = number | bigint;
export type Op = { op: 'put'; key: Bytes; value: Bytes } | { op: 'delete'; key: Bytes };

export function open(path: string, options?: OpenOptions | number): Store;
export function openAsync(path: string, options?: OpenOptions | number): Promise<Store>;
export function hashKey(key: Bytes): bigint;
export function version(): string;
export const flags: {
  READ_ONLY: number; NO_CREATE: number; SYNC: number;
  NO_VERIFY: number; NO_INDEX_FILE: number; PREALLOCATE: number;
  RESERVE: number;
};

import { crc32, deflateRawSync } from "node:zlib";

// Test-only: a tiny zip writer for building DOCX files (honest and hostile) inside tests.

export interface ZipInput {
  name: string;
  data: Uint8Array | string;
  /** Store instead of deflate. */
  stored?: boolean;
  /** Lie in the headers: claim this uncompressed size. */
  declaredSize?: number;
}

export interface ZipOptions {
  /** Write every size and offset through zip64 records, as some Office writers do. */
  zip64?: boolean;
}

export function writeZip(inputs: ZipInput[], options: ZipOptions = {}): Uint8Array {
  const z64 = options.zip64 === true;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const input of inputs) {
    const raw = typeof input.data === "string" ? Buffer.from(input.data, "utf8") : Buffer.from(input.data);
    const body = input.stored ? raw : deflateRawSync(raw);
    const name = Buffer.from(input.name, "utf8");
    const size = input.declaredSize ?? raw.length;
    const crc = crc32(raw);
    const method = input.stored ? 0 : 8;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(z64 ? 0xffffffff : body.length, 18);
    local.writeUInt32LE(z64 ? 0xffffffff : size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(45, 4);
    central.writeUInt16LE(z64 ? 45 : 20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(z64 ? 0xffffffff : body.length, 20);
    central.writeUInt32LE(z64 ? 0xffffffff : size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(z64 ? 0xffffffff : offset, 42);
    const extra = Buffer.alloc(z64 ? 28 : 0);
    if (z64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(size), 4);
      extra.writeBigUInt64LE(BigInt(body.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
      central.writeUInt16LE(extra.length, 30);
    }
    centrals.push(central, name, extra);
    offset += 30 + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(z64 ? 0xffff : inputs.length, 8);
  end.writeUInt16LE(z64 ? 0xffff : inputs.length, 10);
  end.writeUInt32LE(z64 ? 0xffffffff : directory.length, 12);
  end.writeUInt32LE(z64 ? 0xffffffff : offset, 16);
  if (!z64) return new Uint8Array(Buffer.concat([...locals, directory, end]));
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(inputs.length), 24);
  record.writeBigUInt64LE(BigInt(inputs.length), 32);
  record.writeBigUInt64LE(BigInt(directory.length), 40);
  record.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + directory.length), 8);
  locator.writeUInt32LE(1, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, record, locator, end]));
}

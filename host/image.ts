/** Host side of the image format: pack a binary with its header, describe a packed image. */
import { buildHeader, isImageError, parseHeader, versionString, hex, ImageHeader, HEADER_SIZE, FLAG_ALLOW_DOWNGRADE } from "../src/image/header";
import { loadBoard } from "./layout";
import { crc32 } from "./platform";

export class UsageError extends Error {}

export function parseVersion(v: string): { major: number; minor: number; patch: number; build: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,5})(?:\+(\d{1,10}))?$/.exec(v);
  if (!m) throw new UsageError(`version '${v}' is not of the form MAJOR.MINOR.PATCH[+BUILD] (e.g. 1.4.2 or 1.4.2+77)`);
  const r = { major: +m[1], minor: +m[2], patch: +m[3], build: m[4] ? +m[4] : 0 };
  if (r.major > 255 || r.minor > 255 || r.patch > 65535 || r.build > 0xffffffff) throw new UsageError(`version '${v}' is out of range (major and minor 0-255, patch 0-65535)`);
  return r;
}

export interface PackOptions {
  board: string;
  version: string;
  payload: Uint8Array;
  mode?: "direct" | "staged";
  allowDowngrade?: boolean;
}

export function packImage(o: PackOptions): Uint8Array {
  const layout = loadBoard(o.board, o.mode);
  const info = layout.info;
  const v = parseVersion(o.version);
  const max = info.app.size - info.headerSize;
  if (o.payload.length === 0) throw new UsageError("the application binary is empty");
  if (o.payload.length > max) throw new UsageError(`the application (${o.payload.length} bytes) does not fit ${o.board}'s ${max}-byte application slot`);
  const header = buildHeader(
    { imageSize: o.payload.length, loadAddress: info.app.addr + info.headerSize, ...v, boardId: info.id, flags: o.allowDowngrade ? FLAG_ALLOW_DOWNGRADE : 0, payloadCrc: crc32(o.payload) },
    crc32,
  );
  const out = new Uint8Array(HEADER_SIZE + o.payload.length);
  out.set(header, 0);
  out.set(o.payload, HEADER_SIZE);
  return out;
}

export interface Inspection {
  header: ImageHeader;
  version: string;
  payloadCrcOk: boolean;
  sizeOk: boolean;
  problems: string[];
}

export function inspectImage(file: Uint8Array): Inspection {
  const h = parseHeader(file.subarray(0, 64), crc32);
  if (isImageError(h)) throw new UsageError(`${h.message} [${h.code}]`);
  const problems: string[] = [];
  const sizeOk = file.length === h.headerSize + h.imageSize;
  if (!sizeOk) problems.push(`file is ${file.length} bytes, the header describes ${h.headerSize + h.imageSize}`);
  const payload = file.subarray(h.headerSize, h.headerSize + h.imageSize);
  const payloadCrcOk = sizeOk && crc32(payload) === h.payloadCrc;
  if (sizeOk && !payloadCrcOk) problems.push(`payload CRC is ${hex(crc32(payload))}, the header says ${hex(h.payloadCrc)}`);
  return { header: h, version: versionString(h), payloadCrcOk, sizeOk, problems };
}

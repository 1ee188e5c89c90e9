// Loads the compiled host modules (build/host, made by `npm run build`) for the tests.
import { createRequire } from "node:module";
import net from "node:net";
import dgram from "node:dgram";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(import.meta.url);
export const load = (rel) => require(path.join(ROOT, "build", "host", rel));

export const header = load("src/image/header.js");
export const { ImageWriter } = load("src/flash/writer.js");
export const { decide } = load("src/boot/policy.js");
export const { readSlot } = load("src/boot/slots.js");
export const { bootMain } = load("src/boot/boot.js");
export const { UpdateService } = load("src/update/service.js");
export const { createHostPlatform, crc32 } = load("host/platform.js");
export const { NorFlash, PowerCut } = load("host/nor-flash.js");
export const { loadBoard } = load("host/layout.js");
export const { packImage, inspectImage } = load("host/image.js");
export const { SimBoard } = load("host/sim.js");

/** Deterministic noise (xorshift32): payloads and flash patterns for the tests. */
export function noise(size, seed = 1) {
  const b = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 255;
  }
  return b;
}

/** A payload that looks like an application: SP in RAM, reset vector in the slot, then noise. */
export function fakeApp(size, seed = 1, loadAddress = 0x08040200) {
  const b = noise(size, seed);
  const dv = new DataView(b.buffer);
  if (size >= 8) {
    dv.setUint32(0, 0x20020000, true);
    dv.setUint32(4, (loadAddress + 0x1c1) >>> 0, true);
  }
  return b;
}

/** Snapshot of all flash outside a region, to prove nothing else changed. */
export function outside(nor, region) {
  const a = region.addr - nor.base;
  return [nor.bytes.slice(0, a), nor.bytes.slice(a + region.size)];
}

export function sameOutside(nor, region, snap) {
  const [x, y] = outside(nor, region);
  return Buffer.compare(Buffer.from(x), Buffer.from(snap[0])) === 0 && Buffer.compare(Buffer.from(y), Buffer.from(snap[1])) === 0;
}

export function freePort(type = "tcp") {
  return new Promise((resolve, reject) => {
    if (type === "udp") {
      const s = dgram.createSocket("udp4");
      s.bind(0, "127.0.0.1", () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
      s.on("error", reject);
    } else {
      const s = net.createServer();
      s.listen(0, "127.0.0.1", () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
      s.on("error", reject);
    }
  });
}

// Builds the qemu-mps2-an386 example application and packs it as TypeBoot images for the QEMU tests
// and the bench (called by scripts/build.mjs for `npm run build -- --board qemu-mps2-an386`):
//   build/qemu-mps2-an386/examples/app.elf, app.bin
//   app-1.0.0.tbi, app-1.1.0.tbi      the application padded to 64 KiB (tests: an update, then another)
//   app-2.0.0-512k.tbi                padded to 512 KiB (bench: reset-to-application and per-byte cost)
// The padding is a fixed noise pattern after the code, so an image looks like code, not like 0xFF.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..", "..");
export const BOARD = "qemu-mps2-an386";
export const OUT = path.join(ROOT, "build", BOARD, "examples");
export const VERSIONS = ["1.0.0", "1.1.0"];
export const TEST_SIZE = 64 * 1024;
export const LARGE = { version: "2.0.0", size: 512 * 1024, file: "app-2.0.0-512k.tbi" };

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr || r.error?.message || ""}`.trim());
}

/** Deterministic filler (xorshift32): a large image that compresses like code, not like 0xFF. */
function noise(n, seed = 0x2545f491) {
  const b = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    b[i] = s & 255;
  }
  return b;
}

export function imagePath(version) {
  return path.join(OUT, `app-${version}.tbi`);
}

export async function buildExample() {
  fs.mkdirSync(OUT, { recursive: true });
  const elf = path.join(OUT, "app.elf"), bin = path.join(OUT, "app.bin");
  run("arm-none-eabi-gcc", ["-std=c11", "-mcpu=cortex-m4", "-mthumb", "-Os", "-ffreestanding", "-nostdlib", "-Wall", "-Wextra", "-Werror",
    "-I", path.join(ROOT, "firmware", "include"), "-T", path.join(HERE, "app.ld"), path.join(HERE, "app.c"), "-o", elf]);
  run("arm-none-eabi-objcopy", ["-O", "binary", elf, bin]);
  const require = createRequire(import.meta.url);
  const { packImage } = require(path.join(ROOT, "build", "host", "host", "image.js"));
  const code = new Uint8Array(fs.readFileSync(bin));
  const padded = (size) => {
    const p = noise(size - 512);
    p.set(code, 0);
    return p;
  };
  for (const v of VERSIONS) fs.writeFileSync(imagePath(v), packImage({ board: BOARD, version: v, payload: padded(TEST_SIZE), checkVectors: true }));
  fs.writeFileSync(path.join(OUT, LARGE.file), packImage({ board: BOARD, version: LARGE.version, payload: padded(LARGE.size), checkVectors: true }));
  console.log(`example: ${path.relative(ROOT, OUT)}/ app-{${VERSIONS.join(",")}}.tbi (${code.length} B of code, ${TEST_SIZE / 1024} KiB images), ${LARGE.file}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildExample().catch((e) => {
    console.error(`example: ${e.message}`);
    process.exit(1);
  });
}

// lwIP 2.1.3 for the chip builds: fetched from Debian's `lwip` source package into build/lwip (never
// copied into the repository). Idempotent: a build/lwip with src/core/init.c is kept.
//
//   node scripts/lwip.mjs       ensure build/lwip, print where it is
//
// firmware/port/lwip/lwip.mk compiles the files it needs from build/lwip/src.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "./setup.mjs";
import { aptSource } from "./duktape.mjs";

export const LWIP_DIR = path.join(ROOT, "build", "lwip");
const FETCH_DIR = path.join(ROOT, "build", "lwip-src");
const WANT = "2.1.3";

function usable(dir) {
  return fs.existsSync(path.join(dir, "src", "core", "init.c")) && fs.existsSync(path.join(dir, "src", "include", "lwip", "init.h"));
}

/** The lwIP version a tree declares in src/include/lwip/init.h ("2.1.3"). */
export function lwipVersion(dir) {
  const h = fs.readFileSync(path.join(dir, "src", "include", "lwip", "init.h"), "utf8");
  const n = (k) => (new RegExp(`#define LWIP_VERSION_${k}\\s+(\\d+)`).exec(h) || [])[1];
  return `${n("MAJOR")}.${n("MINOR")}.${n("REVISION")}`;
}

export function ensureLwip() {
  if (usable(LWIP_DIR)) return LWIP_DIR;
  let src = fs.existsSync(FETCH_DIR) && fs.readdirSync(FETCH_DIR).map((d) => path.join(FETCH_DIR, d)).find(usable);
  if (!src) {
    aptSource("lwip", FETCH_DIR);
    src = fs.readdirSync(FETCH_DIR).map((d) => path.join(FETCH_DIR, d)).find(usable);
    if (!src) throw new Error("apt-get source lwip gave no src/core/init.c");
  }
  const v = lwipVersion(src);
  if (v !== WANT) throw new Error(`Debian's lwip source package is ${v}, the port is written for ${WANT}`);
  fs.rmSync(LWIP_DIR, { recursive: true, force: true });
  fs.renameSync(src, LWIP_DIR);
  console.log(`lwip: ${WANT} in ${path.relative(ROOT, LWIP_DIR)}`);
  return LWIP_DIR;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log(ensureLwip());
  } catch (e) {
    console.error(`lwip: ${e.message}`);
    process.exit(1);
  }
}

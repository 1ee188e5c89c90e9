// Idempotent set-up on a fresh machine: npm packages (from package-lock.json) and the Debian
// packages the tests drive (duk, curl, tftp-hpa, atftp, chromium). Installs only what is missing.
import { spawnSync, execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Debian packages the test suite needs, with the command each provides. */
export const TEST_PACKAGES = { duktape: "duk", curl: "curl", "tftp-hpa": "tftp", atftp: "atftp", chromium: "chromium" };
/** What building the native runtime needs (gcc-multilib: a 32-bit simulator has the chip's heap figures). */
export const RUNTIME_PACKAGES = ["gcc", "make", "gcc-multilib"];
/** What the chip builds and their tests need: the cross compiler and newlib, QEMU for the emulated
 * boards, and the probes' tools for `typeboot flash`. */
export const CHIP_PACKAGES = ["gcc-arm-none-eabi", "libnewlib-arm-none-eabi", "qemu-system-arm", "openocd", "stlink-tools"];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: ROOT, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status})`);
}

export function ensureNpm() {
  const lock = path.join(ROOT, "package-lock.json");
  const stamp = path.join(ROOT, "node_modules", ".package-lock.json");
  const fresh = fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= fs.statSync(lock).mtimeMs;
  if (fresh && fs.existsSync(path.join(ROOT, "node_modules", "typescript"))) return;
  // `npm install` follows package-lock.json; `npm ci` refuses this lock because the registry here
  // serves no entries for rollup's optional native packages of other platforms.
  console.log("setup: installing npm packages (npm install, from package-lock.json)");
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"]);
}

function installed(pkg) {
  try {
    return execFileSync("dpkg-query", ["-W", "-f=${Status}", pkg], { stdio: ["ignore", "pipe", "ignore"] }).toString().includes("install ok installed");
  } catch {
    return false;
  }
}

export function ensureApt(packages = [...Object.keys(TEST_PACKAGES), ...RUNTIME_PACKAGES, ...CHIP_PACKAGES]) {
  const missing = packages.filter((p) => !installed(p));
  if (!missing.length) return;
  if (process.getuid && process.getuid() !== 0) {
    throw new Error(`missing Debian packages: ${missing.join(" ")}; install them with: sudo apt-get install -y ${missing.join(" ")}`);
  }
  console.log(`setup: installing Debian packages: ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update", "-qq"], { env });
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { env });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    ensureNpm();
    ensureApt();
    console.log("setup: done");
  } catch (e) {
    console.error(`setup: ${e.message}`);
    process.exit(1);
  }
}

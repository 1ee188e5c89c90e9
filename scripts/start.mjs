// npm start: install and build what is needed (npm packages, Duktape from Debian, the native runtime)
// and start a simulated STM324xG-EVAL on the native runtime, in update mode while its application slot
// is empty (TFTP on 127.0.0.1:6969, HTTP on 127.0.0.1:8080). Extra arguments go to `typeboot sim`.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT, RUNTIME_PACKAGES, ensureApt } from "./setup.mjs";
import { build } from "./build.mjs";

try {
  ensureApt(RUNTIME_PACKAGES);
  await build();
} catch (e) {
  console.error(`start: build failed: ${e.message}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "typeboot.js"), "sim", ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(r.status ?? 0);

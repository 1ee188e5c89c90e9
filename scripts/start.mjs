// npm start: build what is needed and start a simulated STM324xG-EVAL in update mode
// (TFTP on 127.0.0.1:6969, HTTP on 127.0.0.1:8080). Extra arguments go to `typeboot sim`.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT } from "./setup.mjs";
import { build } from "./build.mjs";

try {
  await build();
} catch (e) {
  console.error(`start: build failed: ${e.message}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "typeboot.js"), "sim", ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(r.status ?? 0);

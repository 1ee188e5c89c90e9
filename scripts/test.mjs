// npm test: install what the tests need (npm and Debian packages), build, run the whole suite with
// node's test runner (its summary is the last thing printed).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT, ensureApt, ensureNpm } from "./setup.mjs";
import { build } from "./build.mjs";

try {
  ensureNpm();
  ensureApt();
  await build();
} catch (e) {
  console.error(`test: set-up failed: ${e.message}`);
  process.exit(1);
}
const files = process.argv.slice(2);
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...(files.length ? files : [path.join("test")])], { cwd: ROOT, stdio: "inherit" });
process.exit(r.status ?? 1);

// npm test: install what the tests need (npm and Debian packages), build, run the whole suite with
// node's test runner (its summary is the last thing printed).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ROOT, ensureApt, ensureNpm } from "./setup.mjs";
import { build } from "./build.mjs";

try {
  ensureNpm();
  ensureApt();
  // Every chip build: both STM32 boards must build from a fresh clone (their QEMU boot test and the
  // memory-plan test read them), and the QEMU end-to-end tests run the mps2 one.
  await build({ boards: ["stm324xg-eval", "nucleo-f429zi", "qemu-mps2-an386"] });
} catch (e) {
  console.error(`test: set-up failed: ${e.message}`);
  process.exit(1);
}
// Test files are test/*.test.mjs (test/duk/ holds ES5 programs for duk, not node tests).
const files = process.argv.slice(2);
const all = fs.readdirSync(path.join(ROOT, "test")).filter((f) => f.endsWith(".test.mjs")).sort().map((f) => path.join("test", f));
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...(files.length ? files : all)], { cwd: ROOT, stdio: "inherit" });
process.exit(r.status ?? 1);

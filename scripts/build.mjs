// npm run build: type-check the device code (ES5, Duktape's library) and the host code, bundle each
// entry of src/entry/ with rollup into one minified ES5 file, minify the web pages, print the sizes
// and fail when a bundle is over its budget.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ROOT, ensureNpm, ensureApt, CHIP_PACKAGES } from "./setup.mjs";

/** Minified size budgets (bytes): what the F407's RAM allows to be loaded at once (facts.md). */
export const BUDGETS = { "update.js": 22.5 * 1024, "boot.js": 8 * 1024 };

function tsc(project) {
  const r = spawnSync(process.execPath, [path.join(ROOT, "node_modules/typescript/lib/tsc.js"), "-p", project], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`type errors in ${project}`);
}

async function bundle() {
  const { rollup } = await import("rollup");
  const configs = (await import(path.join(ROOT, "rollup.config.mjs"))).default;
  for (const c of configs) {
    const b = await rollup(c);
    await b.write(c.output);
    await b.close();
  }
}

/** Collapse the white space of a small hand-written page (no external minifier needed). */
function minifyHtml(s) {
  return s.replace(/<!--[\s\S]*?-->/g, "").replace(/\n\s*/g, "\n").replace(/>\n</g, "><").trim();
}

function assets() {
  const src = path.join(ROOT, "src", "web");
  const out = path.join(ROOT, "build", "web");
  fs.mkdirSync(out, { recursive: true });
  const sizes = {};
  if (!fs.existsSync(src)) return sizes;
  for (const f of fs.readdirSync(src)) {
    const min = minifyHtml(fs.readFileSync(path.join(src, f), "utf8"));
    fs.writeFileSync(path.join(out, f), min);
    sizes[f] = Buffer.byteLength(min);
  }
  return sizes;
}

/** The native runtime on the host (firmware/, issue 3): Duktape configured by scripts/duktape.mjs,
 * then build/host-runtime/typeboot-sim, then the boot bundle precompiled to bytecode by it. */
async function runtime(sizes) {
  const { ensureDuktape } = await import("./duktape.mjs");
  await ensureDuktape();
  const r = spawnSync("make", ["-s", "-C", path.join(ROOT, "firmware"), "host"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error("the native runtime did not build (make -C firmware host)");
  const sim = path.join(ROOT, "build", "host-runtime", "typeboot-sim");
  for (const name of ["boot", "update"]) {
    const out = path.join(ROOT, "build", "bundle", `${name}.tbbc`);
    const c = spawnSync(sim, ["--compile", path.join(ROOT, "build", "bundle", `${name}.js`), out], { stdio: ["ignore", "ignore", "inherit"] });
    if (c.status !== 0) throw new Error(`compiling ${name}.js to bytecode failed`);
    sizes.bytecode[`${name}.tbbc`] = fs.statSync(out).size;
  }
  // update.tbbc is measured only: update mode loads the minified source, which keeps less heap.
  fs.rmSync(path.join(ROOT, "build", "bundle", "update.tbbc"));
}

/** A chip build (firmware/cross.mk): build/<board>/typeboot.{elf,bin,hex,map} with arm-none-eabi-gcc,
 * from the same core and bundles as the simulator. Each port's extra steps (lwIP's source, the example
 * application) hang off `chipSteps`. */
export const chipSteps = [];
// The example application (examples/blinky/), packed as an image ready to upload.
chipSteps.push(async (board) => {
  const { buildExample } = await import("../examples/build.mjs");
  const r = buildExample(board);
  if (r) console.log(`example: ${path.relative(ROOT, r.tbi)} (blinky ${r.version}, ${fs.statSync(r.bin).size} bytes)`);
});
// Ports with PORT_NET=lwip need lwIP's source (scripts/lwip.mjs); the QEMU board packs its example app.
chipSteps.push(async (board) => {
  const port = JSON.parse(fs.readFileSync(path.join(ROOT, "boards", `${board}.json`), "utf8")).port;
  const mk = path.join(ROOT, "firmware", "port", port, "port.mk");
  if (fs.existsSync(mk) && /^PORT_NET\s*:?=\s*lwip\b/m.test(fs.readFileSync(mk, "utf8"))) (await import("./lwip.mjs")).ensureLwip();
  if (board === "qemu-mps2-an386") await (await import("../examples/blinky-mps2/build.mjs")).buildExample();
});
export async function firmware(board) {
  const file = path.join(ROOT, "boards", `${board}.json`);
  if (!fs.existsSync(file)) throw new Error(`no board '${board}' (boards/*.json)`);
  if (!JSON.parse(fs.readFileSync(file, "utf8")).port) throw new Error(`boards/${board}.json names no "port": it has no chip build`);
  ensureApt(CHIP_PACKAGES);
  for (const step of chipSteps) await step(board);
  const r = spawnSync("make", ["-s", "-C", path.join(ROOT, "firmware"), "-f", "cross.mk", `BOARD=${board}`, "-j2"], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) throw new Error(`the ${board} firmware did not build (make -C firmware -f cross.mk BOARD=${board})`);
  const { sizeReport, formatReport } = await import("./size-report.mjs");
  console.log(formatReport(sizeReport(board)));
}

export async function build({ native = true, boards = [] } = {}) {
  ensureNpm();
  tsc("tsconfig.json");
  tsc("test/types/tsconfig.json");
  tsc("tsconfig.host.json");
  await bundle();
  const sizes = { bundles: {}, bytecode: {}, assets: assets() };
  let over = [];
  console.log("bundle          minified   budget");
  for (const [f, budget] of Object.entries(BUDGETS)) {
    const n = fs.statSync(path.join(ROOT, "build", "bundle", f)).size;
    sizes.bundles[f] = n;
    console.log(`${f.padEnd(15)} ${String(n).padStart(8)} B ${String(budget).padStart(7)} B${n > budget ? "  OVER BUDGET" : ""}`);
    if (n > budget) over.push(`${f} is ${n} bytes, over its ${budget}-byte budget`);
  }
  for (const [f, n] of Object.entries(sizes.assets)) console.log(`${("web/" + f).padEnd(15)} ${String(n).padStart(8)} B`);
  if (native && !over.length) {
    await runtime(sizes);
    for (const [f, n] of Object.entries(sizes.bytecode)) console.log(`${f.padEnd(15)} ${String(n).padStart(8)} B  (bytecode)`);
  }
  fs.writeFileSync(path.join(ROOT, "build", "sizes.json"), JSON.stringify(sizes, null, 2) + "\n");
  if (over.length) throw new Error(over.join("; "));
  for (const b of boards) await firmware(b);
  return sizes;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const boards = [];
  for (let i = 2; i < process.argv.length; i++) {
    if (process.argv[i] === "--board" && process.argv[i + 1]) boards.push(process.argv[++i]);
    else if (process.argv[i].startsWith("--board=")) boards.push(process.argv[i].slice(8));
    else {
      console.error(`build: unknown option ${process.argv[i]} (npm run build [-- --board NAME ...])`);
      process.exit(2);
    }
  }
  build({ boards }).catch((e) => {
    console.error(`build: ${e.message}`);
    process.exit(1);
  });
}

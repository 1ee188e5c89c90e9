// Duktape for TypeBoot: fetch it from Debian, configure it for a microcontroller, build the host
// bytecode compiler (firmware/tools/tbcompile.c). Nothing of Duktape is committed; everything lands in
// build/. See firmware/duktape/README.md.
//
//   node scripts/duktape.mjs            ensure build/duktape/ and build/duktape-tools/tbcompile
//   node scripts/duktape.mjs --report   + sizes of the bundles as source and bytecode, heap figures
//   TYPEBOOT_DUKTAPE_SOURCE=dist|debian-amalgamation   force one path (default: dist, else fallback)
//
// Primary path ("dist"): Debian's `duktape` source package (apt-get source, needs a deb-src stanza,
// derived here from /etc/apt/sources.list.d/debian.sources), tools/configure.py run by Python 2 with
// firmware/duktape/typeboot.yaml and ROM built-ins. Fallback ("debian-amalgamation"): a copy of
// duktape-dev's default amalgamation with a wrapper duk_config.h carrying the options that do not
// change Duktape's generated built-in tables (no ROM built-ins).
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT, ensureApt } from "./setup.mjs";

const SCRIPT = fileURLToPath(import.meta.url);
export const DUK_DIR = path.join(ROOT, "build", "duktape");
export const SRC_DIR = path.join(ROOT, "build", "duktape-src");
export const TOOLS_DIR = path.join(ROOT, "build", "duktape-tools");
export const TBCOMPILE = path.join(TOOLS_DIR, "tbcompile");
const CONF_DIR = path.join(ROOT, "firmware", "duktape");
const OPTION_FILE = path.join(CONF_DIR, "typeboot.yaml");
const FIXUP_FILE = path.join(CONF_DIR, "typeboot_fixup.h");
const PY2_YAML = path.join(CONF_DIR, "py2", "yaml.py");
const TBCOMPILE_C = path.join(ROOT, "firmware", "tools", "tbcompile.c");
/* The runtime's Math (min, max, floor): the configuration has no Math built-in. */
const MOD_MATH_C = path.join(ROOT, "firmware", "core", "mod_math.c");
const DEBIAN_SOURCES = "/etc/apt/sources.list.d/debian.sources";
const SRC_SOURCES = "/etc/apt/sources.list.d/typeboot-src.sources";
const DEBIAN_AMALGAMATION = "/usr/share/duktape";
const PYTHON3 = "/usr/bin/python3"; // Debian's, with python3-yaml

/** Host compiler flags. Duktape's own file gets a warning set of its own (it is not -Wextra clean), but
 *  the warnings that mean "the generated tables do not fit this configuration" are errors. */
export const DUK_CFLAGS = ["-std=c99", "-O2", "-Wall", "-Werror=int-conversion", "-Werror=incompatible-pointer-types", "-Werror=implicit-function-declaration"];
export const TOOL_CFLAGS = ["-std=c11", "-O2", "-Wall", "-Wextra", "-Werror"];

/** Options baked into Duktape's generated built-in tables (genbuiltins.py `present_if`) or needing
 *  configure.py's ROM support: the fallback cannot change them with a wrapper header. */
const BAKED_OPTIONS = new Set([
  "DUK_USE_ROM_STRINGS", "DUK_USE_ROM_OBJECTS", "DUK_USE_ROM_GLOBAL_INHERIT", "DUK_USE_ROM_GLOBAL_CLONE",
  "DUK_USE_ARRAY_BUILTIN", "DUK_USE_BOOLEAN_BUILTIN", "DUK_USE_BUFFEROBJECT_SUPPORT", "DUK_USE_CBOR_BUILTIN",
  "DUK_USE_COROUTINE_SUPPORT", "DUK_USE_DATE_BUILTIN", "DUK_USE_DUKTAPE_BUILTIN", "DUK_USE_ENCODING_BUILTINS",
  "DUK_USE_ES6", "DUK_USE_ES6_PROXY", "DUK_USE_ES8", "DUK_USE_FINALIZER_SUPPORT", "DUK_USE_FUNCTION_BUILTIN",
  "DUK_USE_GLOBAL_BINDING", "DUK_USE_GLOBAL_BUILTIN", "DUK_USE_JSON_BUILTIN", "DUK_USE_JSON_SUPPORT",
  "DUK_USE_MATH_BUILTIN", "DUK_USE_NUMBER_BUILTIN", "DUK_USE_OBJECT_BUILTIN", "DUK_USE_PERFORMANCE_BUILTIN",
  "DUK_USE_PROMISE_BUILTIN", "DUK_USE_REFLECT_BUILTIN", "DUK_USE_REGEXP_SUPPORT", "DUK_USE_SECTION_B",
  "DUK_USE_STRING_BUILTIN", "DUK_USE_SYMBOL_BUILTIN",
  // Cost nothing to keep at Debian's value, and keep the same ROM-less string table semantics.
  "DUK_USE_ES7", "DUK_USE_ES9", "DUK_USE_CBOR_SUPPORT",
]);

const log = (...a) => console.log("duktape:", ...a);

function sha256(...parts) {
  const h = crypto.createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stdout || ""}${r.stderr || ""}`.trim().split("\n").slice(-25).join("\n");
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status})\n${out}`);
  }
  return r;
}

function isRoot() {
  return process.getuid && process.getuid() === 0;
}

// ---------------------------------------------------------------------------------------------
// Python 2 for configure.py

function pythonMajor(exe) {
  const r = spawnSync(exe, ["-c", "import sys; print(sys.version_info[0])"], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.trim()) : 0;
}

export function findPython2() {
  const cands = [];
  if (process.env.TYPEBOOT_PYTHON2) cands.push(process.env.TYPEBOOT_PYTHON2);
  cands.push("/root/.pyenv/versions/2.7.18/bin/python");
  for (const base of [path.join(process.env.HOME || "/root", ".pyenv", "versions"), "/root/.pyenv/versions", "/usr/local/pyenv/versions"]) {
    try {
      for (const v of fs.readdirSync(base).filter((v) => v.startsWith("2.")).sort().reverse()) cands.push(path.join(base, v, "bin", "python"));
    } catch {}
  }
  cands.push("python2.7", "python2", "/usr/bin/python2.7", "/usr/local/bin/python2.7");
  for (const c of cands) if (pythonMajor(c) === 2) return c;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Debian source package

/** The deb-src stanzas: every `Types: deb` stanza of debian.sources, with `Types: deb-src`. */
export function debSrcStanzas(text) {
  return text
    .split(/\n\s*\n/)
    .map((s) => s.trim())
    .filter((s) => /^Types:.*\bdeb\b/m.test(s))
    .map((s) => s.replace(/^Types:.*$/m, "Types: deb-src"))
    .join("\n\n") + "\n";
}

function debSrcEnabled() {
  const dir = "/etc/apt/sources.list.d";
  const texts = [];
  try {
    texts.push(fs.readFileSync("/etc/apt/sources.list", "utf8"));
  } catch {}
  try {
    for (const f of fs.readdirSync(dir)) if (/\.(list|sources)$/.test(f)) texts.push(fs.readFileSync(path.join(dir, f), "utf8"));
  } catch {}
  return texts.some((t) => /^\s*deb-src\s/m.test(t) || /^Types:.*\bdeb-src\b/m.test(t));
}

function findDist() {
  if (!fs.existsSync(SRC_DIR)) return null;
  for (const d of fs.readdirSync(SRC_DIR).sort().reverse()) {
    const p = path.join(SRC_DIR, d);
    if (d.startsWith("duktape-") && fs.existsSync(path.join(p, "tools", "configure.py"))) return p;
  }
  return null;
}

/**
 * `apt-get source PKG` into dir (needs root): enables Debian's source packages first when no deb-src
 * line exists, with a stanza derived from debian.sources (no archive host written anywhere by us).
 * Shared with scripts/lwip.mjs.
 */
export function aptSource(pkg, dir) {
  if (!isRoot()) throw new Error(`not root: cannot enable deb-src or run apt-get source ${pkg}`);
  ensureApt(["dpkg-dev"]);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!debSrcEnabled()) {
    if (!fs.existsSync(DEBIAN_SOURCES)) throw new Error(`${DEBIAN_SOURCES} not found: cannot derive a deb-src stanza`);
    const stanzas = debSrcStanzas(fs.readFileSync(DEBIAN_SOURCES, "utf8"));
    if (!/Types: deb-src/.test(stanzas)) throw new Error(`no deb stanza in ${DEBIAN_SOURCES}`);
    console.log(`apt: enabling Debian source packages: ${SRC_SOURCES}`);
    fs.writeFileSync(SRC_SOURCES, stanzas);
    run("apt-get", ["update", "-qq"], { env });
  }
  fs.mkdirSync(dir, { recursive: true });
  console.log(`apt: apt-get source ${pkg}`);
  const r = spawnSync("apt-get", ["source", "-qq", pkg], { cwd: dir, env, encoding: "utf8" });
  if (r.status !== 0) {
    // the package lists may predate the stanza (written by an earlier run): refresh once
    run("apt-get", ["update", "-qq"], { env });
    run("apt-get", ["source", "-qq", pkg], { cwd: dir, env });
  }
}

function fetchDist() {
  const have = findDist();
  if (have) return have;
  ensureApt(["python3-yaml"]);
  aptSource("duktape", SRC_DIR);
  const dist = findDist();
  if (!dist) throw new Error("apt-get source duktape gave no tools/configure.py");
  return dist;
}

function configureDist(outDir) {
  const python2 = findPython2();
  if (!python2) throw new Error("no Python 2 found for tools/configure.py (set TYPEBOOT_PYTHON2)");
  if (!fs.existsSync(PYTHON3) || spawnSync(PYTHON3, ["-I", "-c", "import yaml"]).status !== 0) {
    if (isRoot()) ensureApt(["python3-yaml"]);
    if (spawnSync(PYTHON3, ["-I", "-c", "import yaml"]).status !== 0) throw new Error("python3-yaml is missing");
  }
  const dist = fetchDist();
  fs.mkdirSync(TOOLS_DIR, { recursive: true });
  const shimDir = path.join(TOOLS_DIR, "py2");
  fs.mkdirSync(shimDir, { recursive: true });
  fs.copyFileSync(PY2_YAML, path.join(shimDir, "yaml.py"));
  const args = [
    path.join(dist, "tools", "configure.py"),
    "--quiet",
    "--output-directory", outDir,
    "--rom-support",
    "--rom-auto-lightfunc",
    "--option-file", OPTION_FILE,
    "--fixup-file", FIXUP_FILE,
  ];
  if (fs.existsSync(path.join(dist, "duk_dist_meta.json"))) args.push("--duk-dist-meta", path.join(dist, "duk_dist_meta.json"));
  log(`configure.py (${python2}, ROM built-ins): ${path.relative(ROOT, outDir)}`);
  const env = { ...process.env, PYTHONPATH: shimDir, PYTHONDONTWRITEBYTECODE: "1", TYPEBOOT_PYTHON3: PYTHON3 };
  run(python2, args, { env, cwd: dist });
  return { dist: path.relative(ROOT, dist), python2, rom: true };
}

// ---------------------------------------------------------------------------------------------
// Fallback: Debian's default amalgamation + wrapper duk_config.h

/** Our YAML options as JSON, parsed by Debian's python3-yaml (no YAML parser in node). */
function readOptions() {
  const r = run(PYTHON3, ["-I", "-c", "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", OPTION_FILE]);
  return JSON.parse(r.stdout);
}

function wrapperOverrides(opts) {
  const lines = [];
  const skipped = [];
  for (const [k, v] of Object.entries(opts)) {
    if (BAKED_OPTIONS.has(k)) {
      skipped.push(k);
      continue;
    }
    lines.push(`#undef ${k}`);
    if (v === true) lines.push(`#define ${k}`);
    else if (typeof v === "number" || typeof v === "string") lines.push(`#define ${k} ${v}`);
    else if (v && typeof v === "object" && v.verbatim) lines.push(v.verbatim);
  }
  // Debian's header derived these from its own date options before our #undefs: drop them too.
  lines.push("#undef DUK_USE_DATE_PARSE_STRING", "#undef DUK_USE_DATE_FORMAT_STRING", "#undef DUK_USE_GET_MONOTONIC_TIME");
  return { text: lines.join("\n"), skipped };
}

function configureFallback(outDir) {
  if (!fs.existsSync(path.join(DEBIAN_AMALGAMATION, "duktape.c"))) ensureApt(["duktape-dev"]);
  if (spawnSync(PYTHON3, ["-I", "-c", "import yaml"]).status !== 0) ensureApt(["python3-yaml"]);
  fs.mkdirSync(outDir, { recursive: true });
  // Copies, never the files in place: compiling /usr/share/duktape/duktape.c would include its
  // neighbour duk_config.h and silently ignore a wrapper given with -I.
  fs.copyFileSync(path.join(DEBIAN_AMALGAMATION, "duktape.c"), path.join(outDir, "duktape.c"));
  fs.copyFileSync(path.join(DEBIAN_AMALGAMATION, "duktape.h"), path.join(outDir, "duktape.h"));
  fs.copyFileSync(path.join(DEBIAN_AMALGAMATION, "duk_config.h"), path.join(outDir, "duk_config_debian.h"));
  const { text, skipped } = wrapperOverrides(readOptions());
  const wrapper = [
    "/* TypeBoot wrapper over Debian's default duk_config.h (fallback path of scripts/duktape.mjs).",
    " * Generated from firmware/duktape/typeboot.yaml; options baked into the built-in tables of",
    ` * Debian's duktape.c keep Debian's value: ${skipped.join(" ")} */`,
    "#if !defined(TYPEBOOT_DUK_CONFIG_WRAPPER_H)",
    "#define TYPEBOOT_DUK_CONFIG_WRAPPER_H",
    '#include "duk_config_debian.h"',
    "",
    text,
    "",
    fs.readFileSync(FIXUP_FILE, "utf8"),
    "#endif",
    "",
  ].join("\n");
  fs.writeFileSync(path.join(outDir, "duk_config.h"), wrapper);
  log(`fallback: Debian's amalgamation with a wrapper duk_config.h: ${path.relative(ROOT, outDir)}`);
  return { dist: DEBIAN_AMALGAMATION, rom: false, keptAtDebianValue: skipped };
}

// ---------------------------------------------------------------------------------------------

function inputsHash(mode) {
  return sha256(
    fs.readFileSync(OPTION_FILE),
    fs.readFileSync(FIXUP_FILE),
    fs.readFileSync(PY2_YAML),
    fs.readFileSync(SCRIPT),
    `mode=${mode}`,
  );
}

/** Fingerprint of a configuration: sha256 of the final duk_config.h (plus Debian's header it wraps,
 *  in the fallback) and DUK_VERSION; the first 32 bits, as 8 hex digits. */
export function computeFingerprint(dir) {
  const h = fs.readFileSync(path.join(dir, "duktape.h"), "utf8");
  const version = (h.match(/#define\s+DUK_VERSION\s+(\d+)L/) || [])[1];
  if (!version) throw new Error("DUK_VERSION not found in duktape.h");
  const parts = [fs.readFileSync(path.join(dir, "duk_config.h"))];
  if (fs.existsSync(path.join(dir, "duk_config_debian.h"))) parts.push(fs.readFileSync(path.join(dir, "duk_config_debian.h")));
  parts.push(`DUK_VERSION=${version}`);
  return { fingerprint: sha256(...parts).slice(0, 8), version: Number(version) };
}

function finish(tmp, source, details) {
  const { fingerprint, version } = computeFingerprint(tmp);
  fs.writeFileSync(path.join(tmp, "fingerprint.txt"), fingerprint + "\n");
  fs.writeFileSync(
    path.join(tmp, "typeboot_fingerprint.h"),
    `/* Generated by scripts/duktape.mjs: configuration fingerprint of this duk_config.h + DUK_VERSION. */\n` +
      `#define TYPEBOOT_DUK_FINGERPRINT 0x${fingerprint}u\n`,
  );
  const config = { source, fingerprint, dukVersion: version, optionFile: path.relative(ROOT, OPTION_FILE), ...details };
  fs.writeFileSync(path.join(tmp, "config.json"), JSON.stringify(config, null, 2) + "\n");
  return config;
}

/** Serialise generation between processes (test files run in parallel): a lock directory. */
async function withLock(name, fn) {
  const lock = path.join(ROOT, "build", `.${name}.lock`);
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (let waited = 0; ; waited += 250) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      let age = 0;
      try {
        age = Date.now() - fs.statSync(lock).mtimeMs;
      } catch {}
      if (age > 15 * 60 * 1000) fs.rmSync(lock, { recursive: true, force: true }); // left by a killed run
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function readStamp(hash) {
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(DUK_DIR, "stamp.json"), "utf8"));
    const ok = stamp.inputs === hash && ["duktape.c", "duktape.h", "duk_config.h", "fingerprint.txt", "typeboot_fingerprint.h"].every((f) => fs.existsSync(path.join(DUK_DIR, f)));
    return ok ? { dir: DUK_DIR, source: stamp.source, fingerprint: stamp.fingerprint } : null;
  } catch {
    return null;
  }
}

/** Idempotently produce build/duktape/ (duktape.c, duktape.h, duk_config.h, fingerprint.txt,
 *  typeboot_fingerprint.h, config.json). Regenerates only when the option file, fixup, py2 yaml shim or
 *  this script change. */
export async function ensureDuktape() {
  const want = process.env.TYPEBOOT_DUKTAPE_SOURCE || "auto";
  if (!["auto", "dist", "debian-amalgamation"].includes(want)) throw new Error(`TYPEBOOT_DUKTAPE_SOURCE: ${want}?`);
  const hash = inputsHash(want);
  const have = readStamp(hash);
  if (have) return have;
  return withLock("duktape", () => readStamp(hash) || generate(want, hash));
}

async function generate(want, hash) {
  const tmp = DUK_DIR + ".tmp";
  let config = null;
  const errors = [];
  if (want !== "debian-amalgamation") {
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
      const details = configureDist(tmp);
      config = finish(tmp, "dist", details);
    } catch (e) {
      errors.push(`dist: ${e.message}`);
      if (want === "dist") throw e;
      log(`Debian source package path failed, using the fallback: ${e.message.split("\n")[0]}`);
    }
  }
  if (!config) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const details = configureFallback(tmp);
    config = finish(tmp, "debian-amalgamation", { ...details, whyFallback: errors });
  }
  fs.writeFileSync(path.join(tmp, "stamp.json"), JSON.stringify({ inputs: hash, source: config.source, fingerprint: config.fingerprint }) + "\n");
  fs.rmSync(DUK_DIR, { recursive: true, force: true });
  fs.renameSync(tmp, DUK_DIR);
  log(`build/duktape ready: ${config.source}, fingerprint ${config.fingerprint}`);
  return { dir: DUK_DIR, source: config.source, fingerprint: config.fingerprint };
}

// ---------------------------------------------------------------------------------------------
// tbcompile

/** Build build/duktape-tools/tbcompile (and duktape.o) when its inputs changed. A variant gets a
 *  suffix, extra flags for both compilations (e.g. ["-m32"]) and extra C sources. */
export async function ensureTbcompile({ suffix = "", extraFlags = [], extraSources = [] } = {}) {
  const duk = await ensureDuktape();
  if (spawnSync("gcc", ["--version"]).status !== 0) ensureApt(["gcc", "libc6-dev"]);
  fs.mkdirSync(TOOLS_DIR, { recursive: true });
  const exe = TBCOMPILE + suffix;
  const obj = path.join(TOOLS_DIR, `duktape${suffix}.o`);
  const stampFile = exe + ".stamp";
  const hash = sha256(
    fs.readFileSync(path.join(duk.dir, "stamp.json")),
    fs.readFileSync(TBCOMPILE_C),
    fs.readFileSync(MOD_MATH_C),
    ...extraSources.map((f) => fs.readFileSync(f)),
    JSON.stringify([DUK_CFLAGS, TOOL_CFLAGS, extraFlags, extraSources]),
  );
  const fresh = () => fs.existsSync(exe) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === hash;
  if (fresh()) return exe;
  return withLock(`tbcompile${suffix}`, () => {
    if (fresh()) return exe;
    log(`compiling duktape.c${suffix ? ` (${extraFlags.join(" ")})` : ""}`);
    run("gcc", [...DUK_CFLAGS, ...extraFlags, "-I", duk.dir, "-c", path.join(duk.dir, "duktape.c"), "-o", obj]);
    run("gcc", [...TOOL_CFLAGS, ...extraFlags, "-I", duk.dir, TBCOMPILE_C, MOD_MATH_C, ...extraSources, obj, "-lm", "-o", exe + ".tmp"]);
    fs.renameSync(exe + ".tmp", exe);
    fs.writeFileSync(stampFile, hash);
    return exe;
  });
}

/** Compile an ES5 file to a TBBC bytecode file (header + duk_dump_function output). */
export async function compileBytecode(inFile, outFile) {
  const exe = await ensureTbcompile();
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  run(exe, [inFile, outFile]);
  return outFile;
}

/** Run tbcompile with arguments; returns { status, stdout, stderr } (no throw). */
export async function tbcompile(args, { exe } = {}) {
  const bin = exe || (await ensureTbcompile());
  const r = spawnSync(bin, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The chip's DUK_SPRINTF substitute (firmware/duktape/typeboot_sprintf.c) in a host build. */
export async function ensureTbcompileOwnSprintf() {
  return ensureTbcompile({ suffix: "-ownsprintf", extraFlags: ["-DTYPEBOOT_OWN_SPRINTF"], extraSources: [path.join(CONF_DIR, "typeboot_sprintf.c")] });
}

/** A 32-bit host build when gcc-multilib is installed (not installed by us): it has the chip's pointer
 *  size and packed values, so its heap figures are the closer ones, and its bytecode must be identical. */
export async function ensureTbcompile32() {
  const probe = spawnSync("gcc", ["-m32", "-x", "c", "-", "-o", "/dev/null"], { input: "#include <stdio.h>\nint main(void){return 0;}\n" });
  if (probe.status !== 0) return null;
  return ensureTbcompile({ suffix: "-m32", extraFlags: ["-m32"] });
}

// ---------------------------------------------------------------------------------------------
// Report

export async function report() {
  const bundles = ["boot.js", "update.js"].map((f) => path.join(ROOT, "build", "bundle", f));
  if (!bundles.every((f) => fs.existsSync(f))) {
    const { build } = await import("./build.mjs");
    await build();
  }
  const duk = await ensureDuktape();
  const exe = await ensureTbcompile();
  const out = { source: duk.source, fingerprint: duk.fingerprint, bundles: [], heap: {} };
  const exe32 = await ensureTbcompile32();
  for (const f of bundles) {
    const bc = path.join(ROOT, "build", "bytecode", path.basename(f, ".js") + ".tbbc");
    await compileBytecode(f, bc);
    const row = { file: path.relative(ROOT, f), minified: fs.statSync(f).size, tbbc: fs.statSync(bc).size, bytecode: fs.statSync(bc).size - 20 };
    if (exe32) {
      const bc32 = bc + ".m32";
      run(exe32, [f, bc32]);
      row.identicalWith32bitBuild = fs.readFileSync(bc).equals(fs.readFileSync(bc32));
      fs.rmSync(bc32);
    }
    out.bundles.push(row);
  }
  const m = await tbcompile(["--measure", ...bundles], { exe });
  if (m.status !== 0) throw new Error(`tbcompile --measure failed: ${m.stderr}`);
  out.heap.host = JSON.parse(m.stdout);
  if (exe32) {
    const m32 = await tbcompile(["--measure", ...bundles], { exe: exe32 });
    if (m32.status === 0) out.heap.host32 = JSON.parse(m32.stdout);
  }
  fs.writeFileSync(path.join(TOOLS_DIR, "report.json"), JSON.stringify(out, null, 2) + "\n");
  return out;
}

function printReport(r) {
  const kb = (n) => `${n} B (${(n / 1024).toFixed(1)} KB)`;
  console.log(`Duktape: ${r.source}, configuration fingerprint ${r.fingerprint}`);
  console.log("bundle            minified    bytecode (+20 B header)   ratio" + (r.bundles[0].identicalWith32bitBuild !== undefined ? "   same bytecode from -m32 build" : ""));
  for (const b of r.bundles) {
    console.log(
      `${b.file.padEnd(18)}${String(b.minified).padStart(8)}    ${String(b.bytecode).padStart(8)}                  ${(b.bytecode / b.minified).toFixed(2)}` +
        (b.identicalWith32bitBuild !== undefined ? `   ${b.identicalWith32bitBuild}` : ""),
    );
  }
  for (const [name, h] of Object.entries(r.heap)) {
    console.log(`\nheap, ${name} build (${h.pointer_bits}-bit pointers, packed values: ${h.packed_tval}), bytes requested from the allocator:`);
    console.log(`  right after duk_create_heap: ${kb(h.heap_after_create)} (peak during creation ${h.peak_during_create}, ${h.allocs_during_create} allocations)`);
    for (const f of h.files) {
      console.log(`  ${path.relative(ROOT, f.file)}: compile peak ${kb(f.compile_peak)}, kept after compile ${kb(f.compile_kept)}; bytecode load peak ${kb(f.load_peak)}, kept ${kb(f.load_kept)}`);
    }
  }
  console.log(`\n(reproduce: node scripts/duktape.mjs --report; JSON in ${path.relative(ROOT, path.join(TOOLS_DIR, "report.json"))})`);
}

if (process.argv[1] === SCRIPT) {
  try {
    const d = await ensureDuktape();
    await ensureTbcompile();
    log(`${d.source}, fingerprint ${d.fingerprint}, tbcompile: ${path.relative(ROOT, TBCOMPILE)}`);
    if (process.argv.includes("--report")) printReport(await report());
  } catch (e) {
    console.error(`duktape: ${e.message}`);
    process.exit(1);
  }
}

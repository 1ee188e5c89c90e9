// Duktape from Debian, configured for the chip (scripts/duktape.mjs), and the host bytecode compiler
// (firmware/tools/tbcompile.c): the configuration has what the bundles need and none of the traps,
// bytecode files carry a header the loader can check, and the bundles run under this configuration.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  ensureDuktape,
  ensureTbcompile,
  ensureTbcompile32,
  ensureTbcompileOwnSprintf,
  compileBytecode,
  tbcompile,
} from "../scripts/duktape.mjs";
import { ROOT } from "../scripts/setup.mjs";

const BUNDLES = ["boot.js", "update.js"].map((f) => path.join(ROOT, "build", "bundle", f));
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "typeboot-duk-"));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The macros duk_config.h finally defines, as the compiler of duktape.c sees them. */
function configMacros(dir) {
  const r = spawnSync("gcc", ["-E", "-dM", "-DDUK_COMPILING_DUKTAPE", "-I", dir, "-x", "c", "-"], { input: '#include "duk_config.h"\n', encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const m = new Map();
  for (const line of r.stdout.split("\n")) {
    const x = line.match(/^#define (\w+)(\([^)]*\))?(?: (.*))?$/);
    if (x) m.set(x[1], x[3] ?? "");
  }
  return m;
}

async function bundlesReady() {
  if (!BUNDLES.every((f) => fs.existsSync(f))) {
    const { build } = await import("../scripts/build.mjs");
    await build();
  }
}

const duk = await ensureDuktape();

test("build/duktape holds the configured sources, a fingerprint and its header", () => {
  for (const f of ["duktape.c", "duktape.h", "duk_config.h", "fingerprint.txt", "typeboot_fingerprint.h", "config.json"]) {
    assert.ok(fs.existsSync(path.join(duk.dir, f)), f);
  }
  assert.match(duk.fingerprint, /^[0-9a-f]{8}$/);
  assert.equal(fs.readFileSync(path.join(duk.dir, "fingerprint.txt"), "utf8").trim(), duk.fingerprint);
  assert.match(fs.readFileSync(path.join(duk.dir, "typeboot_fingerprint.h"), "utf8"), new RegExp(`#define TYPEBOOT_DUK_FINGERPRINT 0x${duk.fingerprint}u`));
  const cfg = JSON.parse(fs.readFileSync(path.join(duk.dir, "config.json"), "utf8"));
  assert.equal(cfg.source, duk.source);
  assert.ok(["dist", "debian-amalgamation"].includes(duk.source));
});

test("the configuration has what the bundles need and avoids the known traps", () => {
  const m = configMacros(duk.dir);
  const on = (k) => assert.ok(m.has(k), `${k} should be defined`);
  const off = (k) => assert.ok(!m.has(k), `${k} should not be defined`);
  for (const k of ["DUK_USE_FASTINT", "DUK_USE_BYTECODE_DUMP_SUPPORT", "DUK_USE_BUFFEROBJECT_SUPPORT", "DUK_USE_REGEXP_SUPPORT", "DUK_USE_JSON_BUILTIN", "DUK_USE_LIGHTFUNC_BUILTINS"]) on(k);
  on("DUK_USE_HSTRING_LAZY_CLEN"); // off: "7".length is 0 in 2.7.0
  off("DUK_USE_BUFLEN16"); // breaks buffers >= 64 KiB silently
  off("DUK_USE_HEAPPTR16");
  off("DUK_USE_DEBUGGER_SUPPORT");
  assert.match(m.get("DUK_USE_DATE_GET_NOW") ?? "", /typeboot_date_now\(\)/);
  for (const k of ["DUK_USE_DATE_NOW_GETTIMEOFDAY", "DUK_USE_DATE_NOW_TIME", "DUK_USE_DATE_TZO_GMTIME_R", "DUK_USE_DATE_TZO_GMTIME", "DUK_USE_DATE_PARSE_STRING", "DUK_USE_DATE_FORMAT_STRING"]) off(k);
  if (duk.source === "dist") {
    // ROM built-ins need configure.py; the fallback (Debian's amalgamation) cannot have them.
    for (const k of ["DUK_USE_ROM_OBJECTS", "DUK_USE_ROM_STRINGS", "DUK_USE_ROM_GLOBAL_INHERIT"]) on(k);
    for (const k of ["DUK_USE_ES6_PROXY", "DUK_USE_REFLECT_BUILTIN", "DUK_USE_ES6", "DUK_USE_PROMISE_BUILTIN"]) off(k);
    // 16-bit header fields would corrupt ROM strings without HEAPPTR16 (see typeboot.yaml)
    for (const k of ["DUK_USE_REFCOUNT16", "DUK_USE_STRHASH16", "DUK_USE_STRLEN16"]) off(k);
  }
});

test("both bundles compile to bytecode with a TBBC header the loader can check", async () => {
  await bundlesReady();
  for (const f of BUNDLES) {
    const out = path.join(TMP, path.basename(f, ".js") + ".tbbc");
    await compileBytecode(f, out);
    const b = fs.readFileSync(out);
    assert.equal(b.subarray(0, 4).toString("latin1"), "TBBC");
    assert.equal(b.readUInt32LE(4), 1, "header version");
    assert.equal(b.readUInt32LE(8), parseInt(duk.fingerprint, 16), "fingerprint = fingerprint.txt");
    assert.equal(b.readUInt32LE(12), b.length - 20, "length");
    assert.equal(b.readUInt32LE(16), crc32(b.subarray(20)), "CRC-32 of the bytecode");
    assert.equal(b[20], 0xbf, "duk_dump_function() output starts with its marker byte");
    const v = await tbcompile(["--verify", out]);
    assert.equal(v.status, 0, v.stderr);
  }
});

test("a corrupted or foreign bytecode file is refused before duk_load_function", async () => {
  await bundlesReady();
  const good = path.join(TMP, "boot-good.tbbc");
  await compileBytecode(BUNDLES[0], good);
  const orig = fs.readFileSync(good);
  const cases = [
    ["one bit of bytecode flipped", (b) => (b[20 + Math.floor((b.length - 20) / 2)] ^= 0x01), /CRC mismatch/],
    ["last byte flipped", (b) => (b[b.length - 1] ^= 0xff), /CRC mismatch/],
    ["other configuration", (b) => b.writeUInt32LE((b.readUInt32LE(8) ^ 1) >>> 0, 8), /fingerprint mismatch/],
    ["bad magic", (b) => (b[0] = 0x58), /bad magic/],
    ["truncated", null, /length mismatch/],
  ];
  for (const [name, mutate, msg] of cases) {
    const bad = path.join(TMP, "bad.tbbc");
    let b = Buffer.from(orig);
    if (mutate) mutate(b);
    else b = b.subarray(0, b.length - 7);
    fs.writeFileSync(bad, b);
    for (const args of [["--verify", bad], ["--eval", bad]]) {
      const r = await tbcompile(args);
      assert.notEqual(r.status, 0, `${name}: ${args[0]} accepted it`);
      assert.match(r.stderr, msg, name);
    }
  }
});

test('"7".length is 1 and a 70000-byte Uint8Array works under this configuration', async () => {
  const js = path.join(TMP, "probe.js");
  fs.writeFileSync(
    js,
    `var u = new Uint8Array(70000); u[69999] = 7; u[65536] = 9;
     var d = new DataView(u.buffer); d.setUint32(65540, 0x12345678, true);
     var t = new Uint8Array(4); t.set(u.subarray(69996, 70000));
     JSON.stringify({ a: "7".length, b: String(12).length, c: u.length, d: u[69999] + u[65536], e: d.getUint32(65540, true),
       f: u.subarray(65530).length, g: t[3], h: String.fromCharCode(72, 105), i: /^GET (\\S+)/.exec("GET /x HTTP/1.1")[1],
       j: JSON.parse('{"k":[1,2]}').k[1], big: 123456789012 })`,
  );
  const r = await tbcompile(["--eval", js]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { a: 1, b: 2, c: 70000, d: 16, e: 0x12345678, f: 4470, g: 7, h: "Hi", i: "/x", j: 2, big: 123456789012 });
  // the same from bytecode
  const bc = path.join(TMP, "probe.tbbc");
  await compileBytecode(js, bc);
  const r2 = await tbcompile(["--eval", bc]);
  assert.equal(r2.status, 0, r2.stderr);
  assert.equal(r2.stdout, r.stdout);
});

test("the bundles' self-tests pass under this configuration, loaded as bytecode", async () => {
  await bundlesReady();
  const [boot, update] = BUNDLES.map((f) => path.join(TMP, path.basename(f, ".js") + "-st.tbbc"));
  await compileBytecode(BUNDLES[0], boot);
  await compileBytecode(BUNDLES[1], update);
  const exe = await ensureTbcompile();
  const dukDir = path.join(ROOT, "test", "duk");
  for (const files of [["shim.js", update, "update-selftest.js"], ["shim.js", update, boot, "boot-selftest.js"]]) {
    const r = spawnSync(exe, ["--eval", ...files], { cwd: dukDir, encoding: "utf8", timeout: 120000 });
    const last = r.stdout.trim().split("\n").pop();
    assert.equal(r.status, 0, `${files.join(" ")}: ${r.stderr}\n${r.stdout}`);
    assert.match(last, /^\d+ passed, 0 failed$/, r.stdout);
  }
});

test("the newlib-nano sprintf substitute formats FASTINT integers in JSON", async () => {
  const exe = await ensureTbcompileOwnSprintf();
  const nm = spawnSync("nm", [exe], { encoding: "utf8" });
  if (nm.status === 0) assert.match(nm.stdout, / T typeboot_sprintf\b/);
  const js = path.join(TMP, "ints.js");
  fs.writeFileSync(js, "JSON.stringify([123456789012, -140737488355328, 0, -1, 7, 1.5, 'x' + 42])");
  const r = await tbcompile(["--eval", js], { exe });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '[123456789012,-140737488355328,0,-1,7,1.5,"x42"]');
});

test("bytecode from a 32-bit build is byte-identical (skipped without gcc-multilib)", async (t) => {
  const exe32 = await ensureTbcompile32();
  if (!exe32) return t.skip("gcc -m32 not available (Debian package gcc-multilib)");
  await bundlesReady();
  for (const f of BUNDLES) {
    const a = path.join(TMP, "a.tbbc"), b = path.join(TMP, "b.tbbc");
    await compileBytecode(f, a);
    const r = spawnSync(exe32, [f, b], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)), `${path.basename(f)}: 64-bit and 32-bit bytecode differ`);
  }
});

test.after(() => fs.rmSync(TMP, { recursive: true, force: true }));

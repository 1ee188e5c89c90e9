// The bundles that go onto the chip: ES5 only, nothing Duktape lacks, within their size budgets,
// and their self-tests pass under Debian's duk (the same interpreter family the chip runs).
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import * as acorn from "acorn";
import { ROOT } from "./helpers/host.mjs";

const bundle = (n) => path.join(ROOT, "build", "bundle", n);
const BUDGET = { "update.js": 22.5 * 1024, "boot.js": 8 * 1024 }; // scripts/build.mjs BUDGETS

for (const name of Object.keys(BUDGET)) {
  test(`${name} parses as ECMAScript 5 and is within ${BUDGET[name]} bytes`, () => {
    const src = fs.readFileSync(bundle(name), "utf8");
    assert.doesNotThrow(() => acorn.parse(src, { ecmaVersion: 5, sourceType: "script" }));
    assert.ok(src.length <= BUDGET[name], `${name} is ${src.length} bytes`);
    // library calls Duktape 2.7 does not have (facts.md)
    const banned = /\bnew (Map|Set|WeakMap|WeakSet|Promise|Proxy)\b|\bPromise\.|\bArray\.from\b|\bObject\.assign\b|\bSymbol\.|\.(startsWith|endsWith|padStart|padEnd|findIndex)\(/;
    const hit = banned.exec(src);
    assert.equal(hit, null, hit && `uses ${hit[0]}`);
  });
}

/** Every `Math.x` and every use of the name `Date` in a program's syntax tree. */
function mathAndDate(src) {
  const math = new Set(), date = [];
  const walk = (n) => {
    if (!n || typeof n.type !== "string") return;
    if (n.type === "MemberExpression" && n.object.type === "Identifier" && n.object.name === "Math") math.add(n.computed ? "[computed]" : n.property.name);
    if (n.type === "Identifier" && n.name === "Date") date.push(n.start);
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v.type === "string" && k !== "property") walk(v);
    }
  };
  walk(acorn.parse(src, { ecmaVersion: 5, sourceType: "script" }));
  return { math: [...math], date };
}

// The chip's Duktape has no Math or Date built-in (flash: their libm is ~20 KB); the runtime gives
// Math.min, Math.max and Math.floor (firmware/core/mod_math.c). A bundle using more would throw.
for (const name of Object.keys(BUDGET)) {
  test(`${name} uses only Math.min/max/floor and no Date (all the chip's runtime provides)`, () => {
    const { math, date } = mathAndDate(fs.readFileSync(bundle(name), "utf8"));
    assert.deepEqual(math.filter((m) => !["min", "max", "floor"].includes(m)), [], `uses Math.${math.join(", Math.")}`);
    assert.equal(date.length, 0, "uses Date");
  });
}

test("the Math/Date check itself finds what it must", () => {
  const r = mathAndDate("var a = Math.round(1) + Math.min(1, 2); var d = new Date();");
  assert.deepEqual(r.math.sort(), ["min", "round"]);
  assert.equal(r.date.length, 1);
});

test("the ES5 check itself rejects ES2015 syntax", () => {
  for (const code of ["let a = 1;", "var f = () => 1;", "var s = `x`;", "class A {}", "for (var x of []) {}"]) {
    assert.throws(() => acorn.parse(code, { ecmaVersion: 5 }), undefined, code);
  }
});

function duk(files) {
  const r = spawnSync("duk", files, { cwd: path.join(ROOT, "test", "duk"), encoding: "utf8", timeout: 120000 });
  const last = r.stdout.trim().split("\n").pop();
  return { r, last, out: r.stdout + r.stderr };
}

test("boot bundle self-test under duk", () => {
  const { r, last, out } = duk(["shim.js", bundle("update.js"), bundle("boot.js"), "boot-selftest.js"]);
  assert.equal(r.status, 0, out);
  assert.match(last, /^([1-9]\d*) passed, 0 failed$/, out);
});

test("update bundle self-test under duk", () => {
  const { r, last, out } = duk(["shim.js", bundle("update.js"), "update-selftest.js"]);
  assert.equal(r.status, 0, out);
  assert.match(last, /^([1-9]\d*) passed, 0 failed$/, out);
});

test("a library call Duktape lacks fails under duk (the self-test would catch it)", () => {
  const tmp = path.join(ROOT, "build", "bad-bundle.js");
  fs.writeFileSync(tmp, "var m = new Map(); m.set(1, 2);");
  const { r, out } = duk([tmp]);
  assert.notEqual(r.status, 0);
  assert.match(out, /Map|not (a )?(constructor|callable)|ReferenceError/);
});

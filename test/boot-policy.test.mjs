import test from "node:test";
import assert from "node:assert/strict";
import { decide, createHostPlatform, ImageWriter, packImage, readSlot, bootMain, crc32, fakeApp, header } from "./helpers/host.mjs";

const slot = (o = {}) => ({ valid: true, problem: "", header: null, version: "1.0.0", confirmed: true, installed: false, rejected: false, attempts: 0, ...o });
const empty = slot({ valid: false, problem: "empty", version: "", confirmed: false });
const base = { button: false, requested: false, mode: "staged", app: slot(), staging: empty, trialAttempts: 3 };
const fresh = slot({ version: "2.0.0", confirmed: false });

// The README's decision table, row by row (first matching row wins).
const rows = [
  ["1 button held at reset", { button: true }, "update", /button/],
  ["2 boot-request word set", { requested: true }, "update", /asked for update mode/],
  ["3 fresh staged image", { staging: fresh }, "install", /2\.0\.0 staged/],
  ["3 button beats a staged image", { button: true, staging: fresh }, "update", /button/],
  ["4 confirmed application", {}, "run", /confirmed/],
  ["5 unconfirmed, attempts left", { app: slot({ confirmed: false, attempts: 1 }) }, "trial", /trial boot 2 of 3/],
  ["6 trial used up, previous kept", { app: slot({ version: "2.0.0", confirmed: false, attempts: 3 }), staging: slot({ version: "1.0.0" }) }, "rollback", /did not confirm itself in 3 boots: restoring 1\.0\.0/],
  ["6 application invalid, previous kept", { app: empty, staging: slot({ version: "1.0.0" }) }, "rollback", /restoring 1\.0\.0/],
  ["7 trial used up, nothing to restore", { app: slot({ confirmed: false, attempts: 3 }) }, "update", /no previous image/],
  ["8 no valid application", { app: empty }, "update", /no valid application \(empty\)/],
  ["8 direct mode ignores the staging slot", { mode: "direct", app: empty, staging: fresh }, "update", /no valid application/],
  ["a rejected image is not installed again", { app: slot({ version: "1.0.0" }), staging: slot({ version: "2.0.0", confirmed: false, attempts: 3, valid: false, rejected: true, problem: "rejected" }) }, "run", /confirmed/],
  ["a previous image in staging is not installed again", { staging: slot({ version: "0.9.0" }) }, "run", /confirmed/],
];
for (const [name, change, action, reason] of rows) {
  test(`decision table: ${name} -> ${action}`, () => {
    const d = decide({ ...base, ...change });
    assert.equal(d.action, action);
    assert.match(d.reason, reason);
  });
}

function board(name = "nucleo-f429zi", extra = {}) {
  const jumps = [];
  const p = createHostPlatform({ board: name, log: () => {}, onJump: (a) => jumps.push(a), ...extra });
  return { p, jumps, info: p.layout.info };
}

function upload(p, version, size = 40000, seed = 7) {
  const info = p.layout.info;
  const target = info.mode === "staged" ? info.staging : info.app;
  const w = new ImageWriter({ flash: p.flash, crc32 }, info, target);
  const img = packImage({ board: info.name, version, payload: fakeApp(size, seed), mode: info.mode });
  for (let o = 0; o < img.length; o += 1468) assert.equal(w.push(img.subarray(o, o + 1468)), null);
  assert.equal(w.finish(info.mode === "direct"), null);
  return img;
}

const again = (p, extra = {}) => {
  const b = board(p.layout.info.name, { flashBytes: p.nor.bytes, ...extra });
  return { ...b, r: bootMain(b.p) };
};

test("executor, direct mode: empty -> update mode; valid image -> jump to its vector table", () => {
  const { p, jumps, info } = board("stm324xg-eval");
  let r = bootMain(p);
  assert.equal(r.decision.action, "update");
  assert.deepEqual(jumps, []);
  upload(p, "1.0.0");
  r = bootMain(p);
  assert.equal(r.decision.action, "run");
  assert.deepEqual(jumps, [info.app.addr + 512]);
});

test("executor: button and boot-request word give update mode; the word is cleared", () => {
  const { p } = board("stm324xg-eval");
  upload(p, "1.0.0");
  let b = again(p, { button: true });
  assert.equal(b.r.decision.action, "update");
  b = again(p, { request: 0x55504454 });
  assert.equal(b.r.decision.action, "update");
  assert.equal(b.p.boot.getRequest(), 0);
});

test("executor, staged mode: install swaps, new image gets N trial boots, then rolls back to the confirmed one", () => {
  const { p, info } = board();
  const v1 = upload(p, "1.0.0", 300 * 1024, 1);
  let b = again(p);
  assert.deepEqual(b.r.steps.map((s) => s.split(":")[0]), ["install", "trial"]);
  // the application confirms itself
  b.p.flash.write(new Uint8Array([0x43, 0x4e, 0x46, 0x4d]), info.app.addr + header.STATUS_CONFIRMED);
  b = again(b.p);
  assert.equal(b.r.decision.action, "run");
  // v2 arrives and never confirms
  const v2 = upload(b.p, "2.0.0", 200 * 1024, 2);
  b = again(b.p);
  assert.deepEqual(b.r.steps.map((s) => s.split(":")[0]), ["install", "trial"]);
  assert.equal(readSlot(b.p.flash, crc32, info.app, true).version, "2.0.0");
  assert.equal(readSlot(b.p.flash, crc32, info.staging, true).version, "1.0.0", "the previous image is kept in the staging slot");
  b = again(b.p);
  assert.match(b.r.steps[0], /trial boot 2 of 3/);
  b = again(b.p);
  assert.match(b.r.steps[0], /trial boot 3 of 3/);
  b = again(b.p);
  assert.deepEqual(b.r.steps.map((s) => s.split(":")[0]), ["rollback", "run"]);
  assert.equal(b.jumps.length, 1);
  const app = readSlot(b.p.flash, crc32, info.app, true);
  assert.equal(app.version, "1.0.0");
  assert.deepEqual(Buffer.from(b.p.nor.view(info.app.addr + 512, v1.length - 512)), Buffer.from(v1.subarray(512)));
  const st = readSlot(b.p.flash, crc32, info.staging, false);
  assert.equal(st.rejected, true);
  assert.equal(st.version, "2.0.0");
  // the rejected image stays rejected
  b = again(b.p);
  assert.deepEqual(b.r.steps.map((s) => s.split(":")[0]), ["run"]);
  assert.ok(v2.length > 0);
});

test("executor, staged mode: trial used up with nothing to restore stays in update mode", () => {
  const { p } = board();
  upload(p, "1.0.0");
  let b = again(p);
  for (let i = 0; i < 2; i++) b = again(b.p);
  b = again(b.p);
  assert.equal(b.r.decision.action, "update");
  assert.match(b.r.decision.reason, /no previous image/);
});

test("executor: the bootloader region is never touched by a full install and rollback", () => {
  const { p, info } = board();
  const boot = p.nor.bytes.slice(0, info.bootloader.size);
  upload(p, "1.0.0");
  let b = again(p);
  upload(b.p, "1.1.0", 50000, 9);
  for (let i = 0; i < 5; i++) b = again(b.p);
  assert.deepEqual(Buffer.from(b.p.nor.bytes.subarray(0, info.bootloader.size)), Buffer.from(boot));
});

test('executor: verifyAtBoot "unconfirmed" skips the payload CRC of a confirmed image only; "always" checks it', () => {
  // A bit flipped in a confirmed application's payload after it was installed (bit rot, a stray
  // write by the application): "always" (the STM32 boards) refuses it, "unconfirmed" (qemu-mps2-an386,
  // no CRC unit) runs it on its marks and header CRC and says so.
  for (const [name, action] of [["stm324xg-eval", "update"], ["qemu-mps2-an386", "run"]]) {
    const { p, info } = board(name);
    assert.equal(info.verifyAtBoot, name === "stm324xg-eval" ? "always" : "unconfirmed");
    upload(p, "1.0.0");
    const base = p.layout.flashBase ?? info.bootloader.addr;
    p.nor.bytes[info.app.addr - base + 512 + 1000] ^= 0x10;
    const { r } = again(p);
    assert.equal(r.decision.action, action, name);
    if (action === "run") assert.match(r.steps.join("\n"), /payload CRC not recomputed/);
    else assert.match(r.decision.reason, /CRC/);
  }
  // An image still to be installed is always checked: a corrupted staged upload is never installed.
  const { p, info } = board("qemu-mps2-an386", { mode: "staged" });
  upload(p, "2.0.0");
  const base = info.bootloader.addr;
  p.nor.bytes[info.staging.addr - base + 512 + 1000] ^= 0x10;
  const { r } = again(p, { mode: "staged" });
  assert.notEqual(r.decision.action, "install");
  assert.equal(r.decision.action, "update");
});

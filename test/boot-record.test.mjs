// The boot-state log and the resumable swap, in-process on the NOR model: an install and a rollback
// cut at every flash operation (before it, after it, torn in the middle) finish at the next boot;
// torn status words are read conservatively; the log survives filling up and a cut while it is erased.
import test from "node:test";
import assert from "node:assert/strict";
import { createHostPlatform, ImageWriter, packImage, readSlot, bootMain, crc32, fakeApp, header, PowerCut, load } from "./helpers/host.mjs";

const record = load("src/boot/record.js");

function boot(board, mode, bytes, extra = {}) {
  const jumps = [];
  const p = createHostPlatform({ board, mode, flashBytes: bytes, log: () => {}, onJump: (a) => jumps.push(a), ...extra });
  return { p, jumps, info: p.layout.info };
}

function stage(p, img) {
  const info = p.layout.info;
  const w = new ImageWriter({ flash: p.flash, crc32 }, info, info.staging);
  for (let o = 0; o < img.length; o += 1468) assert.equal(w.push(img.subarray(o, o + 1468)), null);
  assert.equal(w.finish(false), null);
}

const holds = (p, region, img) =>
  Buffer.compare(Buffer.from(p.nor.view(region.addr, 0x100)), Buffer.from(img.subarray(0, 0x100))) === 0 &&
  Buffer.compare(Buffer.from(p.nor.view(region.addr + 512, img.length - 512)), Buffer.from(img.subarray(512))) === 0;

const confirm = (p) => p.flash.write(header.le32(header.MARK_CONFIRMED), p.layout.info.app.addr + header.STATUS_CONFIRMED);

/** Flash with v1 confirmed in the application slot and v2 staged, for a board in staged mode. */
function initial(board, v1, v2) {
  let b = boot(board, "staged");
  stage(b.p, v1);
  b = boot(board, "staged", b.p.nor.bytes);
  assert.equal(bootMain(b.p).decision.action, "trial");
  confirm(b.p);
  stage(b.p, v2);
  return b.p.nor.bytes.slice();
}

/** Boot until the board jumps or stays in update mode; a cut ends a boot, the next starts from the flash left. */
function settle(board, bytes, cuts, confirmNew) {
  let steps = [];
  for (let n = 0; n < 12; n++) {
    const cut = cuts.shift();
    const b = boot(board, "staged", bytes, cut ? { cutAt: cut.at, cutWhen: cut.when, random: cut.random } : {});
    try {
      const r = bootMain(b.p);
      steps = steps.concat(r.steps);
      if (r.decision.action === "update") return { b, action: "update", steps };
      const app = readSlot(b.p.flash, crc32, b.info.app, true);
      if (app.confirmed) return { b, action: "run", version: app.version, steps };
      if (confirmNew) confirm(b.p);
      bytes = b.p.nor.bytes;
    } catch (e) {
      if (!(e instanceof PowerCut)) throw e;
      bytes = b.p.nor.bytes;
    }
  }
  throw new Error("the board did not settle: " + steps.join(" | "));
}

function seeded(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

for (const [board, v1Size, v2Size] of [["stm324xg-eval", 140000, 150000], ["nucleo-f429zi", 200000, 60000]]) {
  test(`${board} staged: an install (and its trial boot) cut at every flash operation, before/after/torn, finishes at the next boot`, () => {
    const v1 = packImage({ board, version: "1.0.0", payload: fakeApp(v1Size, 1) });
    const v2 = packImage({ board, version: "2.0.0", payload: fakeApp(v2Size, 2) });
    const init = initial(board, v1, v2);
    // Count the operations of the uncut install + first trial boot.
    const c = boot(board, "staged", init.slice());
    assert.deepEqual(bootMain(c.p).steps.map((s) => s.split(":")[0]), ["install", "trial"]);
    const n = c.p.nor.ops;
    assert.ok(n > 10, `${n} operations`);
    let cases = 0;
    for (let i = 1; i <= n; i++) {
      for (const when of ["before", "after", "middle"]) {
        const r = settle(board, init.slice(), [{ at: i, when, random: seeded(i * 3 + 1) }], true);
        cases++;
        assert.equal(r.action, "run", `cut ${when} op ${i}: ${r.steps.join(" | ")}`);
        assert.equal(r.version, "2.0.0", `cut ${when} op ${i}`);
        assert.ok(holds(r.b.p, r.b.info.app, v2), `cut ${when} op ${i}: the new image is byte-identical`);
        assert.ok(holds(r.b.p, r.b.info.staging, v1), `cut ${when} op ${i}: the old image is kept, restorable`);
        assert.deepEqual(Buffer.from(r.b.p.nor.bytes.subarray(0, 0x40000)), Buffer.from(init.subarray(0, 0x40000)), "bootloader untouched");
      }
    }
    // Double faults: a second torn cut during the recovery boot.
    const rnd = seeded(99);
    for (let k = 0; k < 40; k++) {
      const i = 1 + Math.floor(rnd() * n), j = 1 + Math.floor(rnd() * n);
      const r = settle(board, init.slice(), [{ at: i, when: "middle", random: seeded(k + 5) }, { at: j, when: "middle", random: seeded(k + 7) }], true);
      assert.equal(r.version, "2.0.0", `cuts ${i} then ${j}: ${r.steps.join(" | ")}`);
      assert.ok(holds(r.b.p, r.b.info.app, v2) && holds(r.b.p, r.b.info.staging, v1));
    }
    assert.equal(cases, 3 * n);
  });
}

test("rollback cut at every flash operation: the confirmed image comes back, the failed one is rejected", () => {
  const board = "nucleo-f429zi";
  const v1 = packImage({ board, version: "1.0.0", payload: fakeApp(150000, 3) });
  const v2 = packImage({ board, version: "2.0.0", payload: fakeApp(150000, 4) });
  // v2 installed and through its 3 trial boots without confirming: the next boot rolls back.
  let bytes = initial(board, v1, v2);
  for (let t = 0; t < 3; t++) {
    const b = boot(board, "staged", bytes);
    assert.equal(bootMain(b.p).decision.action, "trial");
    bytes = b.p.nor.bytes.slice();
  }
  const c = boot(board, "staged", bytes.slice());
  assert.deepEqual(bootMain(c.p).steps.map((s) => s.split(":")[0]), ["rollback", "run"]);
  const n = c.p.nor.ops;
  for (let i = 1; i <= n; i++) {
    for (const when of ["before", "after", "middle"]) {
      const r = settle(board, bytes.slice(), [{ at: i, when, random: seeded(i + 11) }], false);
      assert.equal(r.version, "1.0.0", `cut ${when} op ${i}: ${r.steps.join(" | ")}`);
      assert.ok(holds(r.b.p, r.b.info.app, v1));
      const st = readSlot(r.b.p.flash, crc32, r.b.info.staging, false);
      assert.equal(st.rejected, true, "the failed image is marked rejected");
      assert.equal(st.version, "2.0.0");
    }
  }
});

test("torn status words: a torn attempt counts, a torn confirm word is passed over for a spare, a torn valid mark is not valid", () => {
  const board = "nucleo-f429zi";
  const b = boot(board, "staged");
  const info = b.info;
  const v1 = packImage({ board, version: "1.0.0", payload: fakeApp(5000, 1) });
  stage(b.p, v1);
  const s = info.staging.addr;
  // torn attempt word 0 (some bits of 0x00000000 cleared)
  b.p.flash.write(header.le32(0xfff0ffff), s + header.STATUS_ATTEMPTS);
  let v = readSlot(b.p.flash, crc32, info.staging, true);
  assert.equal(v.attempts, 1);
  // torn confirm word: not confirmed; the spare at 0x1F0 confirms
  b.p.flash.write(header.le32(0xdfffcfff), s + header.STATUS_CONFIRMED);
  assert.equal(readSlot(b.p.flash, crc32, info.staging, true).confirmed, false);
  b.p.flash.write(header.le32(header.MARK_CONFIRMED), s + 0x1f0);
  assert.equal(readSlot(b.p.flash, crc32, info.staging, true).confirmed, true);
  // a torn valid mark
  const b2 = boot(board, "direct");
  const w = new ImageWriter({ flash: b2.p.flash, crc32 }, b2.info, b2.info.app);
  const img = packImage({ board, version: "1.0.0", payload: fakeApp(5000, 1), mode: "direct" });
  w.push(img);
  w.service();
  b2.p.flash.write(header.le32(header.MARK_VALID | 0x00100000), b2.info.app.addr + header.STATUS_VALID);
  v = readSlot(b2.p.flash, crc32, b2.info.app, true);
  assert.equal(v.valid, false);
  assert.match(v.problem, /never marked valid/);
  assert.equal(bootMain(b2.p).decision.action, "update", "never jumps into an image without its exact valid mark");
});

test("the boot-state log: entries appended after torn ones, erased when a new swap does not fit, a cut during that erase resumes nothing", () => {
  const board = "nucleo-f429zi";
  const b = boot(board, "staged");
  const rec = b.info.record;
  const flash = b.p.flash;
  let st = record.readLog(flash, crc32, rec);
  assert.deepEqual(st, { pending: null, last: 0, next: 0 });
  record.appendLog(flash, crc32, rec, st, record.TAG_BEGIN, record.KIND_INSTALL, 4096);
  record.appendLog(flash, crc32, rec, st, record.TAG_STEP, 0, 1);
  // a torn entry: programmed, its CRC does not check
  flash.write(new Uint8Array(16).fill(0x5a), rec.addr + 32);
  st = record.readLog(flash, crc32, rec);
  assert.deepEqual(st.pending, { kind: 1, length: 4096, sector: 0, phase: 1 });
  assert.equal(st.next, 3, "the next entry goes after the torn one");
  record.appendLog(flash, crc32, rec, st, record.TAG_STEP, 0, 2);
  record.appendLog(flash, crc32, rec, st, record.TAG_DONE, 1, 0);
  st = record.readLog(flash, crc32, rec);
  assert.equal(st.pending, null);
  assert.equal(st.last, record.KIND_INSTALL);
  // full: makeRoom erases; a cut in the middle of that erase leaves garbage that resumes nothing
  const room = record.LOG_BYTES / 16 - st.next;
  record.makeRoom(flash, rec, st, room);
  assert.equal(st.next, 5, "it fits: nothing erased");
  const cut = boot(board, "staged", b.p.nor.bytes, { cutAt: 1, cutWhen: "middle", random: seeded(3) });
  assert.throws(() => record.makeRoom(cut.p.flash, rec, record.readLog(cut.p.flash, crc32, rec), room + 1), PowerCut);
  const after = record.readLog(cut.p.flash, crc32, rec);
  assert.equal(after.pending, null, "a half-erased log holds no swap to resume");
  const again = boot(board, "staged", cut.p.nor.bytes);
  const st2 = record.readLog(again.p.flash, crc32, rec);
  record.makeRoom(again.p.flash, rec, st2, record.LOG_BYTES / 16 - 1);
  assert.equal(st2.next, 0, "erased and checked blank");
});

test("many updates fill the log: installs and rollbacks keep working across its erases", () => {
  const board = "nucleo-f429zi";
  const mk = (v, seed) => packImage({ board, version: v, payload: fakeApp(150000, seed) });
  let b = boot(board, "staged");
  stage(b.p, mk("1.0.0", 1));
  let bytes = b.p.nor.bytes.slice();
  let r = settle(board, bytes, [], true);
  assert.equal(r.version, "1.0.0");
  for (let k = 2; k < 24; k++) {
    const v = `${k}.0.0`;
    stage(r.b.p, mk(v, k));
    r = settle(board, r.b.p.nor.bytes.slice(), [], true);
    assert.equal(r.version, v, `update ${k}: ${r.steps.join(" | ")}`);
    assert.equal(readSlot(r.b.p.flash, crc32, r.b.info.staging, true).version, `${k - 1}.0.0`, "the previous image is kept");
  }
  const st = record.readLog(r.b.p.flash, crc32, r.b.info.record);
  assert.ok(st.next < 22 * 8, `the log was erased on the way (it holds 128 entries; ${st.next} used)`);
  assert.equal(st.last, record.KIND_INSTALL);
});

import test from "node:test";
import assert from "node:assert/strict";
import { createHostPlatform, ImageWriter, packImage, readSlot, header, crc32, fakeApp, outside, sameOutside } from "./helpers/host.mjs";

function setup(board = "stm324xg-eval", mode) {
  const p = createHostPlatform({ board, mode, log: () => {} });
  const info = p.layout.info;
  const slot = info.mode === "staged" ? info.staging : info.app;
  const w = new ImageWriter({ flash: p.flash, crc32 }, info, slot);
  return { p, info, slot, w, nor: p.nor };
}

function feed(w, img, size) {
  for (let off = 0; off < img.length; off += size) {
    const e = w.push(img.subarray(off, Math.min(img.length, off + size)));
    if (e) return e;
    const s = w.service();
    if (s) return s;
  }
  return null;
}

for (const chunk of [1, 3, 7, 512, 1468, 65536]) {
  test(`chunks of ${chunk} bytes produce the exact image, valid mark last`, () => {
    const { p, info, slot, w, nor } = setup();
    const img = packImage({ board: "stm324xg-eval", version: "1.0.1", payload: fakeApp(150 * 1024 + 3) });
    const snap = outside(nor, slot);
    const programs = [];
    const write = p.flash.write;
    p.flash.write = (d, a) => { programs.push(a); return write(d, a); };
    assert.equal(feed(w, img, chunk), null);
    assert.equal(w.finish(true), null);
    const inFlash = nor.view(slot.addr, img.length);
    assert.deepEqual(Buffer.from(inFlash.subarray(0, header.DEVICE_START)), Buffer.from(img.subarray(0, header.DEVICE_START)));
    assert.deepEqual(Buffer.from(inFlash.subarray(512)), Buffer.from(img.subarray(512)));
    assert.equal(programs[programs.length - 1], slot.addr + header.STATUS_VALID, "the valid mark is the last word written");
    const v = readSlot(p.flash, crc32, info.app, true);
    assert.equal(v.valid, true, v.problem);
    assert.equal(v.version, "1.0.1");
    assert.deepEqual(nor.erases, [0x08040000, 0x08060000], "only the two sectors the image spans, in order");
    assert.ok(sameOutside(nor, slot, snap), "nothing outside the slot changed");
  });
}

test("push does not erase: the transport acknowledges first, service() erases", () => {
  const { w, nor } = setup();
  const img = packImage({ board: "stm324xg-eval", version: "1.0.0", payload: fakeApp(4000) });
  assert.equal(w.push(img.subarray(0, 1468)), null);
  assert.equal(nor.ops, 0);
  assert.equal(w.written, 0, "the data waits for service()");
  assert.equal(w.service(), null);
  assert.deepEqual(nor.erases, [0x08040000]);
  assert.equal(w.written, 1468);
});

test("a rejected header changes nothing in flash", () => {
  for (const [mutate, code] of [
    [(b) => (b[0] = 0), "BAD_MAGIC"],
    [(b) => (b[8] ^= 4), "BAD_HEADER_CRC"],
  ]) {
    const { w, nor } = setup();
    const img = packImage({ board: "stm324xg-eval", version: "1.0.0", payload: fakeApp(3000) });
    mutate(img);
    const before = nor.bytes.slice();
    const e = feed(w, img, 100);
    assert.equal(e.code, code);
    assert.equal(nor.ops, 0);
    assert.deepEqual(Buffer.from(nor.bytes), Buffer.from(before));
  }
  const { w, nor } = setup();
  const other = packImage({ board: "nucleo-f429zi", version: "1.0.0", payload: fakeApp(3000) });
  assert.equal(feed(w, other, 1468).code, "WRONG_BOARD");
  assert.equal(nor.ops, 0);
});

test("announced size: oversize refused before any erase, mismatch refused at the header", () => {
  let { w, nor, slot } = setup();
  assert.equal(w.expect(slot.size + 1).code, "TOO_LARGE");
  assert.equal(nor.ops, 0);
  ({ w, nor } = setup());
  const img = packImage({ board: "stm324xg-eval", version: "1.0.0", payload: fakeApp(3000) });
  assert.equal(w.expect(img.length + 10), null);
  assert.equal(w.push(img).code, "SIZE_MISMATCH");
  assert.equal(nor.ops, 0);
});

test("corrupted payload: written but never marked valid", () => {
  const { p, info, w } = setup();
  const img = packImage({ board: "stm324xg-eval", version: "1.0.0", payload: fakeApp(20000) });
  img[9000] ^= 1;
  assert.equal(feed(w, img, 1468), null);
  const e = w.finish(true);
  assert.equal(e.code, "CRC_MISMATCH");
  assert.match(e.message, /not marked valid/);
  const v = readSlot(p.flash, crc32, info.app, true);
  assert.equal(v.valid, false);
  assert.match(v.problem, /never marked valid/);
});

test("truncated and over-long uploads", () => {
  let { w } = setup();
  const img = packImage({ board: "stm324xg-eval", version: "1.0.0", payload: fakeApp(5000) });
  assert.equal(feed(w, img.subarray(0, 3000), 512), null);
  assert.equal(w.finish(true).code, "TRUNCATED");
  ({ w } = setup());
  const longer = new Uint8Array(img.length + 4);
  longer.set(img);
  assert.equal(feed(w, longer, 1024).code, "TOO_LONG");
  ({ w } = setup());
  assert.equal(w.push(img.subarray(0, 30)), null);
  assert.equal(w.finish(true).code, "TRUNCATED");
});

test("staged mode writes the staging slot and leaves the application alone", () => {
  const { p, info, slot, w, nor } = setup("nucleo-f429zi");
  assert.equal(slot.addr, info.staging.addr);
  const appBefore = nor.bytes.slice(info.app.addr - nor.base, info.app.addr - nor.base + info.app.size);
  const img = packImage({ board: "nucleo-f429zi", version: "2.0.0", payload: fakeApp(200 * 1024) });
  assert.equal(feed(w, img, 1468), null);
  assert.equal(w.finish(false), null);
  const v = readSlot(p.flash, crc32, info.staging, true);
  assert.equal(v.valid, true);
  assert.equal(v.confirmed, false);
  assert.deepEqual(Buffer.from(nor.view(info.app.addr, info.app.size)), Buffer.from(appBefore));
  assert.deepEqual(nor.erases, [0x08120000, 0x08140000]);
});

test("a flash error ends the upload with a clear message", () => {
  const { p, w } = setup();
  const img = packImage({ board: "stm324xg-eval", version: "1.0.0", payload: fakeApp(5000) });
  p.flash.write = () => { throw new Error("programming error flag (PGSERR)"); };
  const e = feed(w, img, 1468);
  assert.equal(e.code, "FLASH_ERROR");
  assert.match(e.message, /PGSERR/);
});

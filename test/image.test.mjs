import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { ROOT, header, crc32, packImage, inspectImage, loadBoard, fakeApp } from "./helpers/host.mjs";

const eval407 = loadBoard("stm324xg-eval").info;
const typeboot = (...args) => spawnSync(process.execPath, [path.join(ROOT, "bin", "typeboot.js"), ...args], { encoding: "utf8", timeout: 30000 });

test("pack puts a 512-byte header with the right fields in front of the payload", () => {
  const payload = fakeApp(1000);
  const img = packImage({ board: "stm324xg-eval", version: "1.2.3+45", payload });
  assert.equal(img.length, 512 + 1000);
  const h = header.parseHeader(img.subarray(0, 64), crc32);
  assert.equal(h.code, undefined);
  assert.equal(h.imageSize, 1000);
  assert.equal(h.loadAddress, eval407.app.addr + 512);
  assert.deepEqual([h.major, h.minor, h.patch, h.build], [1, 2, 3, 45]);
  assert.equal(h.boardId, eval407.id);
  assert.equal(h.payloadCrc, crc32(payload));
  assert.deepEqual([...img.subarray(512)], [...payload]);
  // the device-owned status words are erased in the file
  assert.ok(img.subarray(header.STATUS_START, 512).every((b) => b === 0xff));
  assert.equal(header.versionString(h), "1.2.3+45");
});

test("header checks: magic, header CRC, version, board, load address, size", () => {
  const img = packImage({ board: "stm324xg-eval", version: "1.0.0", payload: fakeApp(64) });
  const parse = (b) => header.parseHeader(b, crc32);
  const bad = (mutate) => { const b = img.slice(0, 64); mutate(b); return parse(b); };
  assert.equal(bad((b) => (b[0] ^= 1)).code, "BAD_MAGIC");
  assert.equal(bad((b) => (b[9] ^= 1)).code, "BAD_HEADER_CRC");
  assert.equal(parse(img.subarray(0, 20)).code, "TRUNCATED");
  const reseal = (b) => { new DataView(b.buffer).setUint32(0x3c, crc32(b.subarray(0, 0x3c)), true); return parse(b); };
  let b = img.slice(0, 64); b[4] = 2; assert.equal(reseal(b).code, "BAD_HEADER_VERSION");
  const h = parse(img.subarray(0, 64));
  const slot = eval407.app;
  assert.equal(header.checkForBoard(h, eval407, slot), null);
  assert.equal(header.checkForBoard({ ...h, boardId: 1065 }, eval407, slot).code, "WRONG_BOARD");
  assert.equal(header.checkForBoard({ ...h, loadAddress: 0x08000000 }, eval407, slot).code, "BAD_LOAD_ADDRESS");
  assert.equal(header.checkForBoard({ ...h, imageSize: slot.size }, eval407, slot).code, "TOO_LARGE");
  assert.equal(header.checkForBoard({ ...h, imageSize: 0 }, eval407, slot).code, "TOO_LARGE");
  assert.match(header.checkForBoard({ ...h, boardId: 1065 }, eval407, slot).message, /stm324xg-eval/);
});

test("versions: parsing, ordering, and clear errors", () => {
  const hv = (s) => { const i = inspectImage(packImage({ board: "nucleo-f429zi", version: s, payload: fakeApp(16) })); return i.header; };
  assert.ok(header.compareVersions(hv("1.2.3"), hv("1.10.0")) < 0);
  assert.ok(header.compareVersions(hv("2.0.0"), hv("1.99.999")) > 0);
  assert.ok(header.compareVersions(hv("1.0.0+2"), hv("1.0.0+1")) > 0);
  assert.throws(() => packImage({ board: "nucleo-f429zi", version: "1.2", payload: fakeApp(16) }), /MAJOR\.MINOR\.PATCH/);
  assert.throws(() => packImage({ board: "nucleo-f429zi", version: "1.2.99999", payload: fakeApp(16) }), /out of range/);
  assert.throws(() => packImage({ board: "nope", version: "1.0.0", payload: fakeApp(16) }), /unknown board 'nope'/);
  assert.throws(() => packImage({ board: "stm324xg-eval", version: "1.0.0", payload: new Uint8Array(eval407.app.size) }), /does not fit/);
});

test("inspect finds a corrupted payload and a truncated file", () => {
  const img = packImage({ board: "stm324xg-eval", version: "3.1.4", payload: fakeApp(4096) });
  assert.deepEqual(inspectImage(img).problems, []);
  const bad = img.slice(); bad[600] ^= 0x40;
  assert.match(inspectImage(bad).problems[0], /payload CRC/);
  assert.match(inspectImage(img.subarray(0, 1000)).problems[0], /header describes 4608/);
});

test("typeboot pack and inspect from the command line", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-pack-"));
  fs.writeFileSync(path.join(dir, "app.bin"), fakeApp(3000));
  let r = typeboot("pack", "--board", "nucleo-f429zi", "--version", "2.5.0", path.join(dir, "app.bin"), "-o", path.join(dir, "app.tbi"));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /nucleo-f429zi image 2\.5\.0, 3000 bytes at 0x08040200/);
  r = typeboot("inspect", path.join(dir, "app.tbi"));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /version\s+2\.5\.0/);
  assert.match(r.stdout, /board\s+nucleo-f429zi \(id 1065\)/);
  assert.match(r.stdout, /payload CRC\s+0x[0-9a-f]{8} ok/);
  r = typeboot("inspect", "--json", path.join(dir, "app.tbi"));
  assert.equal(JSON.parse(r.stdout).version, "2.5.0");
  // user mistakes: one clear line, exit 2, no stack trace
  for (const [args, msg] of [
    [["pack", "--version", "1.0.0", path.join(dir, "app.bin")], /--board is required/],
    [["pack", "--board", "x1", "--version", "1.0.0", path.join(dir, "app.bin")], /unknown board 'x1'/],
    [["pack", "--board", "stm324xg-eval", "--version", "one", path.join(dir, "app.bin")], /not of the form/],
    [["inspect", path.join(dir, "missing.tbi")], /no such file/],
    [["inspect", path.join(dir, "app.bin")], /bad magic/],
  ]) {
    r = typeboot(...args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  }
  r = typeboot("--help");
  assert.match(r.stdout, /pack.*\n.*inspect.*\n.*sim/);
});

// The TFTP server under Node (startTftp over the host platform: NOR model + Node dgram) driven
// by real clients: curl, tftp-hpa and atftp, on 127.0.0.1 and a free port. After each upload the
// app slot must hold the image, marked valid, and flash outside the slot must be unchanged.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  tftp, wrq, data, parse, image, platform, service, slotOf, assertImageInSlot, assertOutsideSlotUnchanged, BOARD,
} from "./helpers/tftp-util.mjs";
import { has, freePort, runClient, rawPeer } from "./helpers/tftp-net.mjs";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "typeboot-tftp-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const missing = (cmd) => (has(cmd) ? false : cmd + " is not installed");

let fileNo = 0;
function file(bytes) {
  const f = path.join(tmp, "img" + ++fileNo + ".tbi");
  fs.writeFileSync(f, bytes);
  return f;
}

async function server(o = {}) {
  const p = platform();
  const svc = service(p);
  const port = await freePort();
  const h = tftp.startTftp(p, svc, { port, address: "127.0.0.1", timeoutMs: o.timeoutMs || 1000, retries: o.retries ?? 3 });
  await new Promise((r) => setTimeout(r, 30));
  return { p, svc, port, before: p.nor.bytes.slice(), close: () => h.close() };
}

async function uploadWith(t, client, argsOf, payloadBytes) {
  const s = await server();
  t.after(s.close);
  const img = image(payloadBytes, BOARD, fileNo + 7);
  const f = file(img);
  const r = await runClient(client, argsOf(f, s.port));
  assert.equal(r.timedOut, false, client + " timed out");
  assert.equal(r.code, 0, client + " failed: " + r.out + r.err);
  assert.doesNotMatch(r.out + r.err, /error/i);
  assertImageInSlot(assert, s.p, img);
  assertOutsideSlotUnchanged(assert, s.p, s.before);
  assert.equal(s.svc.lastUpdate.transport, "tftp");
  assert.equal(s.svc.lastUpdate.bytes, img.length);
  assert.equal(s.svc.active, null);
  return { s, r, img };
}

test("curl --tftp-blksize 1468 uploads an image (tsize and blksize negotiated)", { skip: missing("curl") }, async (t) => {
  await uploadWith(t, "curl", (f, port) => ["-sS", "--tftp-blksize", "1468", "-T", f, `tftp://127.0.0.1:${port}/app.tbi`], 400000);
});

test("curl with its default block size uploads an image", { skip: missing("curl") }, async (t) => {
  await uploadWith(t, "curl", (f, port) => ["-sS", "-T", f, `tftp://127.0.0.1:${port}/app.tbi`], 150000);
});

test("tftp-hpa (binary, no options, lock-step) uploads an image", { skip: missing("tftp") }, async (t) => {
  await uploadWith(t, "tftp", (f, port) => ["127.0.0.1", String(port), "-m", "binary", "-c", "put", f, "app.tbi"], 150000);
});

test("atftp with windowsize 8 and blksize 1428 uploads an image", { skip: missing("atftp") }, async (t) => {
  const { r } = await uploadWith(
    t, "atftp",
    (f, port) => ["--trace", "--option", "windowsize 8", "--option", "blksize 1428", "-p", "-l", f, "-r", "app.tbi", "127.0.0.1", String(port)],
    300000,
  );
  const trace = r.out + r.err;
  assert.match(trace, /received OACK <[^>]*windowsize: 8/);
  assert.match(trace, /blksize: 1428/);
  // Windows of 8 blocks: ACKs come for blocks 8, 16, ...
  assert.match(trace, /received ACK <block: 16>/);
  assert.doesNotMatch(trace, /received ACK <block: 9>/);
});

test("curl reads the status file (RRQ) and it reflects the upload", { skip: missing("curl") }, async (t) => {
  const { s } = await uploadWith(t, "curl", (f, port) => ["-sS", "--tftp-blksize", "1468", "-T", f, `tftp://127.0.0.1:${port}/app.tbi`], 50000);
  const r = await runClient("curl", ["-sS", `tftp://127.0.0.1:${s.port}/status`]);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out);
  assert.equal(doc.board, BOARD);
  assert.equal(doc.app.valid, true);
  assert.equal(doc.app.version, "1.2.3");
  assert.equal(doc.lastUpdate.transport, "tftp");
  // With a small block size: several blocks.
  const r2 = await runClient("curl", ["-sS", "--tftp-blksize", "64", `tftp://127.0.0.1:${s.port}/status.json`]);
  assert.equal(r2.code, 0, r2.err);
  assert.equal(JSON.parse(r2.out).boardId, 1031);
  // Any other file: not found.
  const r3 = await runClient("curl", ["-sS", `tftp://127.0.0.1:${s.port}/app.tbi`]);
  assert.notEqual(r3.code, 0);
});

test("tftp-hpa reads the status file", { skip: missing("tftp") }, async (t) => {
  const s = await server();
  t.after(s.close);
  const out = path.join(tmp, "status.json");
  const r = await runClient("tftp", ["127.0.0.1", String(s.port), "-m", "binary", "-c", "get", "status", out]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.equal(JSON.parse(fs.readFileSync(out, "utf8")).state, "update-mode");
});

test("a corrupt image (payload byte flipped) is refused with a TFTP error and not marked valid", { skip: missing("curl") || missing("tftp") }, async (t) => {
  const s = await server();
  t.after(s.close);
  const img = image(120000);
  img[60000] ^= 0x10;
  const f = file(img);
  const r = await runClient("curl", ["-sS", "-v", "--tftp-blksize", "1468", "-T", f, `tftp://127.0.0.1:${s.port}/app.tbi`]);
  assert.equal(r.timedOut, false);
  assert.notEqual(r.code, 0, "curl reported success for a corrupt image");
  assert.match(r.err, /TFTP error: payload CRC in flash is 0x[0-9a-f]{8}, header says 0x[0-9a-f]{8}: image corrupted, not marked valid/);
  assert.equal(s.svc.lastError.code, "CRC_MISMATCH");
  assert.equal(s.svc.slots().app.valid, false);
  assertOutsideSlotUnchanged(assert, s.p, s.before);
  // tftp-hpa shows the server's message (its exit status is 0 whatever happens).
  const r2 = await runClient("tftp", ["127.0.0.1", String(s.port), "-m", "binary", "-c", "put", f, "app.tbi"]);
  assert.match(r2.out + r2.err, /Error code 0: payload CRC in flash .* not marked valid/);
  assert.equal(s.svc.slots().app.valid, false);
  assert.equal(s.svc.active, null);
});

test("a wrong-board image is refused before any erase (slot bytes unchanged)", { skip: missing("curl") || missing("atftp") }, async (t) => {
  const s = await server();
  t.after(s.close);
  const f = file(image(120000, "nucleo-f429zi"));
  const r = await runClient("curl", ["-sS", "-v", "-T", f, `tftp://127.0.0.1:${s.port}/app.tbi`]);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /TFTP error: image is for board id/);
  assert.equal(s.svc.lastError.code, "WRONG_BOARD");
  const r2 = await runClient("atftp", ["-p", "-l", f, "-r", "app.tbi", "127.0.0.1", String(s.port)]);
  assert.notEqual(r2.code, 0);
  assert.match(r2.err + r2.out, /image is for board id \d+, this is stm324xg-eval/);
  assert.equal(s.p.nor.erases.length, 0, "a sector was erased");
  assert.equal(s.p.nor.ops, 0, "flash was touched");
  assert.ok(Buffer.from(s.p.nor.bytes).equals(Buffer.from(s.before)), "flash changed");
});

test("curl with an image larger than the slot: ERROR 3 from tsize, before any flash operation", { skip: missing("curl") }, async (t) => {
  const s = await server();
  t.after(s.close);
  const f = file(new Uint8Array(slotOf(s.p).size + 4096));
  const r = await runClient("curl", ["-sS", "-v", "-T", f, `tftp://127.0.0.1:${s.port}/app.tbi`]);
  assert.match(r.err, /TFTP error: disk full or allocation exceeded: upload of \d+ bytes does not fit/);
  assert.equal(r.code, 70, "curl exit code 70 is 'disk full or allocation exceeded': " + r.err);
  assert.equal(s.p.nor.ops, 0);
  assert.equal(s.svc.lastError.code, "TOO_LARGE");
});

test("tftp-hpa in netascii mode gets a clear ERROR", { skip: missing("tftp") }, async (t) => {
  const s = await server();
  t.after(s.close);
  const f = file(image(1000));
  const r = await runClient("tftp", ["127.0.0.1", String(s.port), "-m", "netascii", "-c", "put", f, "app.tbi"]);
  assert.match(r.out + r.err, /Error code 0: mode netascii not supported: use binary \(octet\) mode/);
  assert.equal(s.p.nor.ops, 0);
});

test("a second client while an upload runs is told busy; a stranger gets ERROR 5; the first upload completes", { skip: missing("curl") }, async (t) => {
  const s = await server({ timeoutMs: 2000 });
  t.after(s.close);
  const img = image(30000);
  const peer = await rawPeer();
  t.after(peer.close);
  peer.send(wrq("app.tbi", [["blksize", "1024"]]), s.port);
  const oack = await peer.next();
  assert.equal(parse(oack.b).op, 6);
  const tid = oack.port;
  assert.notEqual(tid, s.port, "the transfer uses a new port");
  const blocks = Math.floor(img.length / 1024) + 1;
  const block = (n) => data(n, img.subarray((n - 1) * 1024, n * 1024));
  peer.send(block(1), tid);
  assert.deepEqual(parse((await peer.next()).b), { op: 4, block: 1 });
  // curl meanwhile: busy.
  const r = await runClient("curl", ["-sS", "-v", "-T", file(image(5000)), `tftp://127.0.0.1:${s.port}/app.tbi`], { timeoutMs: 15000 });
  assert.notEqual(r.code, 0);
  assert.match(r.err, /TFTP error: busy: another upload is in progress \(tftp from 127\.0\.0\.1:\d+\)/);
  assert.equal(s.svc.status().state, "receiving");
  // A stranger on the transfer port.
  const stranger = await rawPeer();
  t.after(stranger.close);
  stranger.send(block(2), tid);
  const e = parse((await stranger.next()).b);
  assert.deepEqual([e.op, e.code, e.msg], [5, 5, "unknown transfer ID"]);
  for (let n = 2; n <= blocks; n++) {
    peer.send(block(n), tid);
    assert.deepEqual(parse((await peer.next()).b), { op: 4, block: n });
  }
  assertImageInSlot(assert, s.p, img);
  assertOutsideSlotUnchanged(assert, s.p, s.before);
});

test("an abandoned upload is freed after the retries, then curl uploads", { skip: missing("curl") }, async (t) => {
  const s = await server({ timeoutMs: 100, retries: 2 });
  t.after(s.close);
  const peer = await rawPeer();
  t.after(peer.close);
  peer.send(wrq("app.tbi"), s.port);
  const first = await peer.next();
  assert.deepEqual(parse(first.b), { op: 4, block: 0 });
  // Retransmissions of ACK 0, then an ERROR: the server gave up.
  assert.deepEqual(parse((await peer.next()).b), { op: 4, block: 0 });
  assert.deepEqual(parse((await peer.next()).b), { op: 4, block: 0 });
  const e = parse((await peer.next()).b);
  assert.equal(e.op, 5);
  assert.equal(s.svc.active, null);
  const img = image(20000);
  const r = await runClient("curl", ["-sS", "-T", file(img), `tftp://127.0.0.1:${s.port}/app.tbi`]);
  assert.equal(r.code, 0, r.err);
  assertImageInSlot(assert, s.p, img);
});

test("with datasheet flash timing the ACK leaves before each erase (no ACK waits for its own erase)", async (t) => {
  const p = platform({ timing: true });
  const svc = service(p);
  const port = await freePort();
  const h = tftp.startTftp(p, svc, { port, address: "127.0.0.1", timeoutMs: 1000, retries: 3 });
  t.after(() => h.close());
  const before = p.nor.bytes.slice();
  const img = image(140000);
  const peer = await rawPeer();
  t.after(peer.close);
  peer.send(wrq("app.tbi", [["blksize", "1468"]]), port);
  const tid = (await peer.next()).port;
  const blocks = Math.floor(img.length / 1468) + 1;
  const lat = [];
  for (let n = 1; n <= blocks; n++) {
    const t0 = Date.now();
    peer.send(data(n, img.subarray((n - 1) * 1468, n * 1468)), tid);
    // Exactly one ACK per block: no retransmission right after an erase.
    assert.deepEqual(parse((await peer.next(5000)).b), { op: 4, block: n });
    lat.push(Date.now() - t0);
  }
  assert.equal(p.nor.erases.length, 2, "two 128 KB sectors");
  // Block 1 completes the header: its service step erases the first sector, after its ACK.
  assert.ok(lat[0] < 300, "ACK of block 1 took " + lat[0] + " ms");
  // A client waits at most about one sector erase (1 s typical for 128 KB).
  assert.ok(Math.max(...lat) < 1600, "slowest ACK took " + Math.max(...lat) + " ms");
  assertImageInSlot(assert, p, img);
  assertOutsideSlotUnchanged(assert, p, before);
});

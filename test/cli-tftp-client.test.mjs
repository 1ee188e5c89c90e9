// host/tftp-client.ts against tiny fake TFTP servers: one that knows no options (plain ACK 0: the
// client falls back to 512-byte lock-step blocks), one that loses a block, one that refuses.
import { test } from "node:test";
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { load } from "./helpers/host.mjs";

const { tftpPut } = load("host/tftp-client.js");
const { OperationError } = load("host/http-client.js");

/**
 * A fake server: answers a WRQ from a new socket (its TID) with `first(wrq)` (a Buffer, or null to
 * stay silent), then ACKs every DATA in lock-step. Records the request and the DATA sizes.
 */
async function fakeServer({ first, drop = () => false } = {}) {
  const seen = { wrq: null, sizes: [], blocks: [], data: [] , done: false };
  const listen = dgram.createSocket("udp4");
  const socks = [listen];
  listen.on("message", (m, r) => {
    if (m.readUInt16BE(0) !== 2) return;
    seen.wrq = m.subarray(2).toString("latin1").split("\0");
    const t = dgram.createSocket("udp4");
    socks.push(t);
    let expect = 1;
    t.on("message", (d, rr) => {
      const n = d.readUInt16BE(2);
      if (d.readUInt16BE(0) !== 3) return;
      seen.blocks.push(n);
      if (drop(n, seen)) return;
      if (n === expect) {
        seen.sizes.push(d.length - 4);
        seen.data.push(Buffer.from(d.subarray(4)));
        expect++;
        if (d.length - 4 < 512) seen.done = true;
      }
      t.send(Buffer.from([0, 4, (expect - 1) >> 8, (expect - 1) & 255]), rr.port, rr.address);
    });
    t.bind(0, "127.0.0.1", () => {
      const a = first(seen.wrq);
      if (a) t.send(a, r.port, r.address);
    });
  });
  await new Promise((res) => listen.bind(0, "127.0.0.1", res));
  return { port: listen.address().port, seen, close: () => socks.forEach((s) => s.close()) };
}

const ack0 = () => Buffer.from([0, 4, 0, 0]);
const data = (n) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 3) & 255));

test("a server without options (plain ACK 0): 512-byte blocks, one at a time", async () => {
  const s = await fakeServer({ first: ack0 });
  try {
    const d = data(512 * 5 + 100);
    const progress = [];
    const r = await tftpPut({ host: "127.0.0.1", port: s.port, name: "app.tbi", data: d, timeout: 1, retries: 3, onProgress: (a, t) => progress.push([a, t]) });
    assert.equal(r.options, false);
    assert.equal(r.blksize, 512);
    assert.equal(r.windowsize, 1);
    assert.equal(r.blocks, 6);
    // The request carried our options; the server ignored them.
    assert.deepEqual(s.seen.wrq.slice(0, 2), ["app.tbi", "octet"]);
    assert.ok(s.seen.wrq.includes("blksize") && s.seen.wrq.includes("1468") && s.seen.wrq.includes("windowsize") && s.seen.wrq.includes("tsize"));
    assert.deepEqual(s.seen.sizes, [512, 512, 512, 512, 512, 100]);
    assert.ok(s.seen.sizes.every((n) => n <= 512));
    assert.deepEqual(Buffer.concat(s.seen.data), d);
    assert.deepEqual(progress.at(-1), [d.length, d.length]);
  } finally {
    s.close();
  }
});

test("an exact multiple of 512 ends with an empty block", async () => {
  const s = await fakeServer({ first: ack0 });
  try {
    const d = data(1024);
    const r = await tftpPut({ host: "127.0.0.1", port: s.port, name: "x", data: d, timeout: 1, retries: 3 });
    assert.equal(r.blocks, 3);
    assert.deepEqual(s.seen.sizes, [512, 512, 0]);
  } finally {
    s.close();
  }
});

test("a lost block is sent again after the timeout", async () => {
  let dropped = false;
  const s = await fakeServer({ first: ack0, drop: (n) => n === 2 && !dropped && (dropped = true) });
  try {
    const d = data(1500);
    const r = await tftpPut({ host: "127.0.0.1", port: s.port, name: "x", data: d, timeout: 1, retries: 3 });
    assert.ok(r.retransmits >= 1);
    assert.deepEqual(Buffer.concat(s.seen.data), d);
  } finally {
    s.close();
  }
});

test("the server's ERROR text is reported", async () => {
  const err = Buffer.concat([Buffer.from([0, 5, 0, 3]), Buffer.from("disk full or allocation exceeded: too big\0")]);
  const s = await fakeServer({ first: () => err });
  try {
    await assert.rejects(tftpPut({ host: "127.0.0.1", port: s.port, name: "x", data: data(10), timeout: 1, retries: 1 }), (e) => {
      assert.ok(e instanceof OperationError);
      assert.match(e.message, /refused the upload: disk full or allocation exceeded: too big \(TFTP error 3\)/);
      return true;
    });
  } finally {
    s.close();
  }
});

test("a silent server: bounded retries, then a clear error", async () => {
  const s = await fakeServer({ first: () => null });
  try {
    const started = Date.now();
    await assert.rejects(tftpPut({ host: "127.0.0.1", port: s.port, name: "x", data: data(10), timeout: 1, retries: 1 }), /no answer from the TFTP server after 2 tries \(1 s each\)/);
    assert.ok(Date.now() - started < 5000);
  } finally {
    s.close();
  }
});

test("an OACK with smaller values than asked is followed (blksize 1024, windowsize 2)", async () => {
  const oack = Buffer.concat([Buffer.from([0, 6]), Buffer.from("blksize\x001024\x00windowsize\x002\x00", "latin1")]);
  // The fake ACKs every block (a window of 1 on its side): the client must still finish.
  const s = await fakeServer({ first: () => oack });
  try {
    const d = data(5000);
    const r = await tftpPut({ host: "127.0.0.1", port: s.port, name: "x", data: d, timeout: 1, retries: 3 });
    assert.equal(r.options, true);
    assert.equal(r.blksize, 1024);
    assert.equal(r.windowsize, 2);
    assert.deepEqual(Buffer.concat(s.seen.data), d);
  } finally {
    s.close();
  }
});

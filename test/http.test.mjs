// The HTTP request parser (src/net/http-parser.ts) on its own: bytes in any split, events out.
import test from "node:test";
import assert from "node:assert/strict";
import { requestParser, hostE as E, bytes, cat } from "./helpers/http-util.mjs";

/** Feed pieces; returns the events as [kind, ...] arrays (body bytes joined per request). */
function parse(pieces, limit = 4096, onHead) {
  const ev = [];
  const sink = {
    stop: false,
    head(h) {
      ev.push(["head", h]);
      if (onHead) onHead(h, sink);
    },
    body(b) {
      assert.ok(b instanceof Uint8Array);
      const last = ev[ev.length - 1];
      if (last[0] === "body") last[1] = Buffer.concat([last[1], Buffer.from(b)]);
      else ev.push(["body", Buffer.from(b)]);
    },
    end() {
      ev.push(["end"]);
    },
    error(status, message) {
      ev.push(["error", status, message]);
    },
  };
  const feed = requestParser(E, sink, limit);
  for (const p of pieces) feed(typeof p === "string" ? bytes(p) : p);
  return ev;
}

const kinds = (ev) => ev.map((e) => e[0]).join(",");

test("a GET: method and path (query dropped), lower-case header names", () => {
  const ev = parse(["GET /api/status?x=1&y=2 HTTP/1.1\r\nHost: board\r\nX-Mixed-Case: Value\r\n\r\n"]);
  assert.equal(kinds(ev), "head,end");
  const h = ev[0][1];
  assert.equal(h.req, "GET /api/status");
  assert.equal(h.version, "1");
  assert.equal(h.length, 0);
  assert.equal(h.headers.host, "board");
  assert.equal(h.headers["x-mixed-case"], "Value");
});

test("Content-Length first or last, head and body in one segment", () => {
  for (const head of [
    "POST /api/firmware HTTP/1.1\r\nContent-Length: 11\r\nHost: b\r\nUser-Agent: t\r\n\r\n",
    "POST /api/firmware HTTP/1.1\r\nHost: b\r\nUser-Agent: t\r\ncontent-length:11\r\n\r\n",
  ]) {
    const ev = parse([head + "hello world"]);
    assert.equal(kinds(ev), "head,body,end");
    assert.equal(ev[0][1].length, 11);
    assert.equal(ev[1][1].toString(), "hello world");
  }
});

test("a request split at every position gives the same events", () => {
  const req = "PUT /api/firmware HTTP/1.1\r\nHost: b\r\nContent-Length: 26\r\n\r\nGET / HTTP/1.1\r\n\r\nxyz\r\n\r\n\r";
  const want = parse([req]);
  assert.equal(kinds(want), "head,body,end");
  assert.equal(want[1][1].toString(), "GET / HTTP/1.1\r\n\r\nxyz\r\n\r\n\r", "request-looking bytes in a body are body");
  for (let i = 0; i <= req.length; i++) {
    for (let j = i; j <= req.length; j += 5) {
      const ev = parse([req.slice(0, i), req.slice(i, j), req.slice(j)]);
      assert.deepEqual(ev, want, `split at ${i},${j}`);
    }
  }
});

test("keep-alive pipelining: several requests in one segment, blank lines between them ignored", () => {
  const ev = parse(["GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc\r\nGET /c HTTP/1.1\r\n\r\n"]);
  assert.equal(kinds(ev), "head,end,head,body,end,head,end");
  assert.deepEqual(ev.filter((e) => e[0] === "head").map((e) => e[1].req), ["GET /a", "POST /b", "GET /c"]);
});

test("a 7-digit and an absurdly long Content-Length are numbers for the server to judge", () => {
  let ev = parse(["PUT /api/firmware HTTP/1.1\r\nContent-Length: 9999999\r\n\r\n"], 4096, (h, s) => (s.stop = true));
  assert.equal(ev[0][1].length, 9999999);
  assert.equal(kinds(ev), "head", "the sink stopped the parser: no body, no end");
  ev = parse(["PUT /api/firmware HTTP/1.1\r\nContent-Length: 99999999999999999999999999999\r\n\r\n"], 4096, (h, s) => (s.stop = true));
  assert.ok(ev[0][1].length > 1e20);
});

test("a Content-Length that is not a number: 400", () => {
  for (const v of ["12a", "-5", "0x10", "1 2", "1e3", "1,1"]) {
    const ev = parse([`POST /login HTTP/1.1\r\nContent-Length: ${v}\r\n\r\n`]);
    assert.equal(kinds(ev), "error", v);
    assert.equal(ev[0][1], 400);
    assert.match(ev[0][2], /Content-Length/);
  }
});

test("Transfer-Encoding (chunked) is refused with 411", () => {
  const ev = parse(["PUT /api/firmware HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"]);
  assert.equal(kinds(ev), "error");
  assert.equal(ev[0][1], 411);
});

test("request line and headers are bounded: 431 beyond the limit, also when the end never comes", () => {
  const line = "GET / HTTP/1.1\r\n";
  const pad = (n) => "X-Pad: " + "a".repeat(n - 7 - 2) + "\r\n";
  const exact = line + pad(4096 - line.length - 2) + "\r\n";
  assert.equal(exact.length, 4096);
  assert.equal(kinds(parse([exact])), "head,end");
  const over = line + pad(4097 - line.length - 2) + "\r\n";
  let ev = parse([over]);
  assert.equal(kinds(ev), "error");
  assert.equal(ev[0][1], 431);
  // Never-ending headers, in small pieces: refused once 4 KB are in, nothing more is kept.
  const pieces = [line];
  for (let i = 0; i < 1000; i++) pieces.push("X-A: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n");
  ev = parse(pieces);
  assert.equal(kinds(ev), "error");
  assert.equal(ev[0][1], 431);
});

test("malformed request lines: 400", () => {
  for (const l of ["GARBAGE", "GET / HTTP/2.0", "get / HTTP/1.1", "GET http://x/ HTTP/1.1", "GET  / HTTP/1.1", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"]) {
    const ev = parse([l + "\r\nHost: x\r\n\r\n"]);
    assert.equal(kinds(ev), "error", JSON.stringify(l));
    assert.equal(ev[0][1], 400);
  }
});

test("HTTP/1.0 is told apart", () => {
  const ev = parse(["GET / HTTP/1.0\r\n\r\n"]);
  assert.equal(ev[0][1].version, "0");
});

test("after the sink stops the parser, input is ignored", () => {
  const ev = parse(["GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", "GET /c HTTP/1.1\r\n\r\n"], 4096, (h, s) => {
    if (h.req === "GET /b") s.stop = true;
  });
  assert.equal(kinds(ev), "head,end,head");
});

test("body bytes are views of the input, not copies", () => {
  const body = new Uint8Array(100000).fill(7);
  const seen = [];
  const sink = { stop: false, head() {}, body: (b) => seen.push(b), end() {}, error() {} };
  const feed = requestParser(E, sink, 4096);
  feed(bytes("PUT /api/firmware HTTP/1.1\r\nContent-Length: 200000\r\n\r\n"));
  feed(body);
  feed(body);
  assert.equal(seen.length, 2);
  assert.equal(seen[0].buffer, body.buffer);
  assert.equal(cat(...seen).length, 200000);
});

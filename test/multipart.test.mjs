// The streaming multipart/form-data parser (src/net/multipart.ts) on its own: feed bytes in any
// split, get part headers and data events.
import test from "node:test";
import assert from "node:assert/strict";
import { multipart, param, parseHeaders, hostE as E, bytes, cat, multipartBody, fakeApp } from "./helpers/http-util.mjs";

/** Parse a body fed in the given pieces; returns { parts: [{headers, data}], preamble, err, done }. */
function parse(boundary, pieces, headLimit) {
  const parts = [];
  let preamble = 0;
  const sink = {
    part(h) {
      parts.push({ headers: h, chunks: [] });
    },
    data(b) {
      assert.ok(b instanceof Uint8Array);
      if (parts.length) parts[parts.length - 1].chunks.push(Buffer.from(b));
      else preamble += b.length;
    },
  };
  const feed = multipart(E, boundary, sink, headLimit);
  let err = "";
  for (const p of pieces) {
    const e = feed(p instanceof Uint8Array ? p : bytes(p));
    if (e) err = e;
  }
  return { parts: parts.map((p) => ({ headers: p.headers, data: Buffer.concat(p.chunks) })), preamble, err, done: !!sink.done };
}

const B = "----WebKitFormBoundaryq1w2e3R4t5Y6u7I8";
const FILE = bytes("\x00\x01binary\r\n--not-the-boundary\r\n\r\n--" + B.slice(0, 10) + "\r\r\n-\xff\r");

function sample() {
  return multipartBody(B, [
    { headers: { "Content-Disposition": 'form-data; name="note"' }, body: "hello" },
    { headers: { "Content-Disposition": 'form-data; name="file"; filename="app.tbi"', "Content-Type": "application/octet-stream" }, body: FILE },
    { headers: { "Content-Disposition": 'form-data; name="after"' }, body: "" },
  ]);
}

function checkSample(r) {
  assert.equal(r.err, "");
  assert.equal(r.done, true);
  assert.equal(r.parts.length, 3);
  assert.equal(r.parts[0].headers["content-disposition"], 'form-data; name="note"');
  assert.equal(r.parts[0].data.toString(), "hello");
  assert.equal(param(r.parts[1].headers["content-disposition"], "filename"), "app.tbi");
  assert.equal(r.parts[1].headers["content-type"], "application/octet-stream");
  assert.deepEqual(r.parts[1].data, Buffer.from(FILE));
  assert.equal(r.parts[2].data.length, 0);
}

test("a form in one piece", () => {
  checkSample(parse(B, [sample()]));
});

test("the body split at every position gives the same parts", () => {
  const body = sample();
  for (let i = 0; i <= body.length; i++) checkSample(parse(B, [body.subarray(0, i), body.subarray(i)]));
});

test("the body split at every pair of positions gives the same parts", () => {
  const body = sample();
  for (let i = 0; i <= body.length; i += 1) {
    for (let j = i; j <= body.length; j += 3) checkSample(parse(B, [body.subarray(0, i), body.subarray(i, j), body.subarray(j)]));
  }
});

test("the body fed one byte at a time", () => {
  const body = sample();
  const pieces = [];
  for (let i = 0; i < body.length; i++) pieces.push(body.subarray(i, i + 1));
  checkSample(parse(B, pieces));
});

test("header names in any case and order; the file part is found by its filename whatever its type", () => {
  const body = multipartBody("xyz", [
    { headers: { "content-type": "text/plain", "CONTENT-DISPOSITION": "form-data; filename=fw.tbi; name=upload" }, body: "DATA" },
  ]);
  const r = parse("xyz", [body]);
  assert.equal(r.err, "");
  assert.equal(r.parts[0].headers["content-type"], "text/plain");
  assert.equal(param(r.parts[0].headers["content-disposition"], "filename"), "fw.tbi");
  assert.equal(param(r.parts[0].headers["content-disposition"], "name"), "upload");
  assert.equal(r.parts[0].data.toString(), "DATA");
});

test("preamble and epilogue are not part data; the first delimiter may open the body", () => {
  const body = cat("This is the preamble.\r\n", multipartBody("b", [{ headers: { "Content-Disposition": "form-data; name=a" }, body: "x" }]), "epilogue --b\r\n junk");
  const r = parse("b", [body]);
  assert.equal(r.err, "");
  assert.equal(r.done, true);
  assert.equal(r.parts.length, 1);
  assert.equal(r.parts[0].data.toString(), "x");
  assert.ok(r.preamble > 0);
});

test("a part with an empty header block (RFC 2046)", () => {
  const r = parse("b", ["--b\r\n\r\nbody\r\n--b--"]);
  assert.equal(r.err, "");
  assert.deepEqual(r.parts[0].headers, {});
  assert.equal(r.parts[0].data.toString(), "body");
  assert.equal(r.done, true);
});

test("data is streamed: never more than a delimiter's length held back", () => {
  const payload = fakeApp(200000, 7);
  const body = multipartBody(B, [{ headers: { "Content-Disposition": 'form-data; name="f"; filename="a"' }, body: payload }]);
  let got = 0;
  let last = null;
  const feed = multipart(E, B, { part() {}, data: (b) => { got += b.length; last = b; } });
  let fed = 0;
  for (let i = 0; i < body.length; i += 1460) {
    const chunk = new Uint8Array(body.subarray(i, i + 1460));
    assert.equal(feed(chunk), "");
    fed += chunk.length;
    const headerBytes = body.indexOf("\r\n\r\n") + 4;
    if (fed > headerBytes + 100 && fed < headerBytes + payload.length) {
      assert.ok(fed - headerBytes - got <= B.length + 4, `held back ${fed - headerBytes - got} bytes`);
    }
  }
  assert.equal(got, payload.length);
  assert.ok(last.buffer.byteLength < 4000, "data events are views of the input, not an accumulated buffer");
});

test("the closing delimiter is required for done", () => {
  const r = parse("b", ["--b\r\nContent-Disposition: form-data; name=a\r\n\r\nabc"]);
  assert.equal(r.err, "");
  assert.equal(r.done, false);
  assert.equal(r.parts[0].data.toString(), "abc");
});

test("a delimiter followed by junk is an error, and input after an error is ignored", () => {
  const r = parse("b", ["--b\r\nContent-Disposition: form-data; name=a\r\n\r\nabc\r\n--bXY\r\n", "--b\r\n\r\nmore"]);
  assert.match(r.err, /boundary/);
  assert.equal(r.parts.length, 1);
  assert.equal(r.done, false);
});

test("part headers are bounded", () => {
  const long = "X-Long: " + "a".repeat(2000);
  const r = parse("b", ["--b\r\n" + long.slice(0, 700), long.slice(700) + "\r\n\r\nx\r\n--b--"]);
  assert.match(r.err, /too long/);
  assert.equal(r.parts.length, 0);
  const ok = parse("b", ["--b\r\n" + long + "\r\n\r\nx\r\n--b--"], 4096);
  assert.equal(ok.err, "");
});

test("CR and delimiter prefixes at chunk ends are not lost", () => {
  const data = "a\r\n--b\rc\r\r\n-\r\n--\r\n--b";
  // The delimiter is "\r\n--bb"; every prefix of it appears in the data.
  const body = "--bb\r\nContent-Disposition: form-data; name=f; filename=x\r\n\r\n" + data + "\r\n--bb--\r\n";
  for (let i = 0; i <= body.length; i++) {
    for (let j = i; j <= body.length; j++) {
      const r = parse("bb", [body.slice(0, i), body.slice(i, j), body.slice(j)]);
      assert.equal(r.err, "");
      assert.equal(r.parts[0].data.toString("latin1"), data, `split at ${i},${j}`);
    }
  }
});

test("param() and parseHeaders()", () => {
  assert.equal(param('form-data; name="file"; filename="a b.tbi"', "filename"), "a b.tbi");
  assert.equal(param('form-data; name="file"; filename="a b.tbi"', "name"), "file");
  assert.equal(param("form-data; filename=x.bin", "filename"), "x.bin");
  assert.equal(param('form-data; name="file"', "filename"), undefined);
  assert.equal(param("form-data; filename*=UTF-8''%e2%82%ac.tbi", "filename\\*?"), "UTF-8''%e2%82%ac.tbi");
  assert.equal(param('multipart/form-data; boundary="quoted boundary"', "boundary"), "quoted boundary");
  assert.equal(param("multipart/form-data;boundary=abc", "boundary"), "abc");
  assert.equal(param(undefined, "boundary"), undefined);
  assert.deepEqual(parseHeaders(["GET / HTTP/1.1", "Host: a", "X-A:  b c ", "bad line", "Cookie: x=1; y=2"]), { host: "a", "x-a": "b c", cookie: "x=1; y=2" });
});

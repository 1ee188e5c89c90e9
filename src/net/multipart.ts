/**
 * Streaming multipart/form-data parser (RFC 7578 over RFC 2046), a pure state machine: bytes in,
 * part(headers) and data(bytes) events out. Nothing of a part's body is buffered: data() gets
 * subarrays of the input as they arrive, except for less than a delimiter's length held back
 * when a chunk ends in what may be the start of a delimiter (the next chunk is then joined to
 * those few bytes, the only copy). The delimiter search is the native
 * E.indexOf. Part headers may come in any order and any case; the caller decides which part is
 * the file (the one whose Content-Disposition has a filename), whatever its Content-Type.
 *
 * Also the byte helpers the HTTP request parser shares.
 */
import type { EModule } from "../platform/contract";

export type Headers = { [lowerCaseName: string]: string };

export interface PartSink {
  /** A part starts; its header names are lower case. */
  part(headers: Headers): void;
  /** Bytes of the current part as they arrive (before the first part(): the preamble). */
  data(bytes: Uint8Array): void;
  /** Set by the parser after the closing delimiter. */
  done?: boolean;
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const r = new Uint8Array(a.length + b.length);
  r.set(a, 0);
  r.set(b, a.length);
  return r;
}

export const CRLF2 = new Uint8Array([13, 10, 13, 10]);

/** "Name: value" lines after the first to a header map: names lower-cased, the last of repeated ones, lines without a colon ignored. */
export function parseHeaders(lines: string[]): Headers {
  const h: Headers = {};
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(":");
    if (c > 0) h[lines[i].slice(0, c).trim().toLowerCase()] = lines[i].slice(c + 1).trim();
  }
  return h;
}

/** A parameter of a header value, e.g. param('form-data; name="f"; filename="a.bin"', "filename"). */
export function param(value: string | undefined, name: string): string | undefined {
  const m = new RegExp("(?:^|;)\\s*" + name + '\\s*=\\s*(?:"([^"]*)"|([^;\\s]*))', "i").exec(value || "");
  return m ? (m[1] !== undefined ? m[1] : m[2]) : undefined;
}

const BODY = 0, AFTER = 1, HEAD = 2, DONE = 3;

/**
 * Returns the parser's feed function: it takes the next bytes of the body and returns "" or, once
 * the body is malformed, why (further input is then ignored, as it is after the closing delimiter).
 */
export function multipart(E: EModule, boundary: string, sink: PartSink, headLimit?: number): (chunk: Uint8Array) => string {
  const d = E.toUint8Array("\r\n--" + boundary), n = d.length;
  const cr = d.subarray(0, 1);
  let st = BODY, err = "";
  // Unconsumed input (a possible delimiter start, an incomplete header block); never large.
  // The first delimiter may open the body without a CRLF before it: pretend there was one.
  let buf = d.subarray(0, 2);
  const fail = function (m: string): string {
    st = DONE;
    return (err = m);
  };
  return function (chunk) {
    const b = buf.length ? concat(buf, chunk) : chunk;
    let i = 0;
    while (st < DONE) {
      if (st === BODY) {
        const j = E.indexOf(b, d, i);
        let k = j;
        if (j < 0) {
          // Hold back the shortest tail that may be the start of a delimiter.
          k = E.indexOf(b, cr, Math.max(i, b.length - n + 1));
          while (k >= 0 && E.indexOf(d, b.subarray(k), 0)) k = E.indexOf(b, cr, k + 1);
          if (k < 0) k = b.length;
        }
        if (k > i) sink.data(b.subarray(i, k));
        i = k;
        if (j < 0) break;
        i += n;
        st = AFTER;
      } else if (st === AFTER) {
        // "--" closes the body, CRLF starts the part's headers (kept: an empty header block is
        // then CRLF CRLF too). RFC 2046 allows padding before the CRLF; no client sends any.
        if (b.length - i < 2) break;
        if (b[i] === 45 && b[i + 1] === 45) sink.done = !!(st = DONE);
        else if (b[i] === 13 && b[i + 1] === 10) st = HEAD;
        else return fail("bad multipart boundary line");
      } else {
        const j = E.indexOf(b, CRLF2, i);
        if ((j < 0 ? b.length : j) - i > (headLimit || 1024)) return fail("multipart headers too long");
        if (j < 0) break;
        sink.part(parseHeaders(E.toString(b.subarray(i, j)).split("\r\n")));
        i = j + 4;
        st = BODY;
      }
    }
    // Keep what is left, copied so the caller's buffer is not retained.
    buf = new Uint8Array(b.subarray(st < DONE ? i : b.length));
    return err;
  };
}

/**
 * HTTP/1.1 request parser, a pure state machine: bytes in, head / body / end / error events out.
 * Requests are framed by Content-Length only, so whatever the body holds ("GET / HTTP" included)
 * is body. The head (request line + headers) is bounded (431 beyond the limit); it is the only
 * part converted to a string. Body bytes are handed on as subarrays of the input (only a segment
 * that completes a head split across segments is copied once, joined to that head).
 * Keep-alive and pipelining: the bytes after one request are the next one's.
 */
import type { EModule } from "../platform/contract";
import { CRLF2, Headers, concat, parseHeaders } from "./multipart";

export interface RequestHead {
  /** Method and path without the query string: "GET /api/status". */
  req: string;
  /** The query string, "?" included ("" without). */
  q: string;
  /** Minor version: "0" for HTTP/1.0, "1" for HTTP/1.1. */
  version: string;
  headers: Headers;
  /** Content-Length (0 without one; any number of digits). */
  length: number;
}

export interface RequestSink {
  /** Set by the sink (or by the parser on an error) to stop: the rest of the input is ignored. */
  stop: boolean;
  head(h: RequestHead): void;
  body(bytes: Uint8Array): void;
  /** The request (head and body) is complete. */
  end(): void;
  /** The request cannot be parsed (stop is set). */
  error(status: number, message: string): void;
}

/** Returns the parser's feed function. */
export function requestParser(E: EModule, sink: RequestSink, limit: number): (chunk: Uint8Array) => void {
  let buf: Uint8Array | null = null;
  /** Body bytes still to come; -1 while reading a head. */
  let left = -1;
  const fail = function (status: number, message: string) {
    sink.stop = true;
    sink.error(status, message);
  };
  return function (chunk) {
    const b = buf ? concat(buf, chunk) : chunk;
    let i = 0;
    buf = null;
    while (!sink.stop && i < b.length) {
      if (left >= 0) {
        const n = Math.min(left, b.length - i);
        left -= n;
        sink.body(b.subarray(i, (i += n)));
      } else if (b[i] === 13 || b[i] === 10) {
        i++; // blank lines between requests are ignored (RFC 9112 2.2)
        continue;
      } else {
        const j = E.indexOf(b, CRLF2, i);
        if ((j < 0 ? b.length : j + 4) - i > limit) return fail(431, "headers over " + limit + " bytes");
        if (j < 0) {
          buf = new Uint8Array(b.subarray(i));
          return;
        }
        const lines = E.toString(b.subarray(i, j)).split("\r\n");
        i = j + 4;
        const m = /^([A-Z]+ \/[^ ?]*)(\S*) HTTP\/1\.(\d)$/.exec(lines[0]);
        const h = parseHeaders(lines);
        if (!m) return fail(400, "bad request line");
        if (h["transfer-encoding"]) return fail(411, "chunked bodies not supported");
        const cl = h["content-length"] || "0";
        if (/\D/.test(cl)) return fail(400, "bad Content-Length");
        left = +cl;
        sink.head({ req: m[1], q: m[2], version: m[3], headers: h, length: left });
      }
      if (!left) {
        left = -1;
        if (!sink.stop) sink.end();
      }
    }
  };
}

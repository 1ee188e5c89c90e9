/** A small HTTP client for the board's REST API (status, reboot, raw firmware upload): every wait bounded. */
import * as http from "node:http";

/** A failed operation (the board refused, could not be reached, timed out): exit code 1. */
export class OperationError extends Error {}

export interface Endpoint {
  host: string;
  port: number;
}

export interface HttpResult {
  status: number;
  body: string;
  /** The body parsed as JSON, or null. */
  json: any;
}

export interface HttpRequest {
  method: string;
  path: string;
  timeoutMs: number;
  auth?: { user: string; password: string };
  /** A body; sent after the server's 100 Continue (so a refusal arrives before any of it is sent). */
  body?: Uint8Array;
  /** Bytes of the body written so far. */
  onProgress?: (sent: number, total: number) => void;
  /** More request headers (Content-Range, If-Match ...). */
  headers?: Record<string, string>;
}

/** Why a connection failed, in words. */
export function netReason(e: NodeJS.ErrnoException): string {
  const c = e.code || "";
  if (c === "ECONNREFUSED") return "connection refused (nothing listens on that port)";
  if (c === "ENOTFOUND" || c === "EAI_AGAIN") return "unknown host";
  if (c === "EHOSTUNREACH" || c === "ENETUNREACH") return "host unreachable";
  if (c === "ECONNRESET" || c === "EPIPE") return "connection reset by the board";
  return e.message;
}

export function request(ep: Endpoint, r: HttpRequest): Promise<HttpResult> {
  const where = `${ep.host}:${ep.port}`;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (e: Error | null, v?: HttpResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      if (e) reject(e);
      else resolve(v!);
    };
    const headers: Record<string, string | number> = { Connection: "close", ...(r.headers || {}) };
    if (r.auth) headers.Authorization = "Basic " + Buffer.from(`${r.auth.user}:${r.auth.password}`).toString("base64");
    if (r.body) {
      headers["Content-Length"] = r.body.length;
      headers["Content-Type"] = "application/octet-stream";
      headers.Expect = "100-continue";
    }
    const req = http.request({ host: ep.host, port: ep.port, method: r.method, path: r.path, agent: false, headers });
    // One deadline for the whole exchange, reset whenever bytes move (an upload may be long).
    let timer: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(new OperationError(`${where}: no answer within ${r.timeoutMs / 1000} s`)), r.timeoutMs);
    };
    arm();
    req.on("error", (e: NodeJS.ErrnoException) => finish(new OperationError(`cannot reach ${where}: ${netReason(e)}`)));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => {
        arm();
        chunks.push(d);
      });
      res.on("error", (e: NodeJS.ErrnoException) => finish(new OperationError(`${where}: ${netReason(e)}`)));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        let json: any = null;
        try {
          json = JSON.parse(body);
        } catch {
          json = null;
        }
        finish(null, { status: res.statusCode || 0, body, json });
      });
    });
    if (!r.body) {
      req.end();
      return;
    }
    const body = r.body;
    req.on("continue", () => {
      let off = 0;
      const CHUNK = 16384;
      const pump = () => {
        while (off < body.length && !done) {
          const n = Math.min(CHUNK, body.length - off);
          const ok = req.write(body.subarray(off, off + n));
          off += n;
          arm();
          if (r.onProgress) r.onProgress(off, body.length);
          if (!ok) return void req.once("drain", pump);
        }
        if (!done) req.end();
      };
      pump();
    });
  });
}

/** The board's error answer ({ ok: false, code, message }) as one line. */
export function httpError(r: HttpResult): string {
  if (r.json && typeof r.json.message === "string") return `${r.json.message}${r.json.code ? ` [${r.json.code}]` : ""} (HTTP ${r.status})`;
  return `HTTP ${r.status}${r.body ? ": " + r.body.slice(0, 200).replace(/\s+/g, " ") : ""}`;
}

/** What the network commands (status, reboot, upload) share: targets, options, credentials, progress. */
import { UsageError } from "../image";
import { Endpoint, OperationError, request, httpError } from "../http-client";

export type Opts = Record<string, string | boolean>;

/** `host[:port]` (or `[v6]:port`) with a default port. */
export function parseTarget(s: string | boolean | undefined, defaultPort: number, what = "host"): Endpoint {
  if (typeof s !== "string" || !s) throw new UsageError(`no ${what} given (host or host:port)`);
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) || /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) throw new UsageError(`'${s}' is not a host or host:port`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`'${s}': the port must be 1-65535`);
  return { host: m[1], port };
}

/** --timeout in seconds (default 5), as milliseconds. */
export function timeoutMs(o: Opts, fallback = 5): number {
  const v = o.timeout === undefined ? fallback : Number(o.timeout);
  if (!Number.isFinite(v) || v <= 0 || v > 3600) throw new UsageError("--timeout must be a number of seconds (0-3600)");
  return v * 1000;
}

/** --user/--password, or TYPEBOOT_USER/TYPEBOOT_PASSWORD. */
export function credentials(o: Opts): { user: string; password: string } {
  const user = typeof o.user === "string" ? o.user : process.env.TYPEBOOT_USER;
  const password = typeof o.password === "string" ? o.password : process.env.TYPEBOOT_PASSWORD;
  if (!user || !password) throw new UsageError("credentials needed: --user U --password P (or TYPEBOOT_USER and TYPEBOOT_PASSWORD)");
  return { user, password };
}

/** GET /api/status: the board's status document. */
export async function getStatus(ep: Endpoint, ms: number): Promise<any> {
  const r = await request(ep, { method: "GET", path: "/api/status", timeoutMs: ms });
  if (r.status !== 200) throw new OperationError(`${ep.host}:${ep.port}: GET /api/status failed: ${httpError(r)}`);
  if (!r.json || typeof r.json !== "object") throw new OperationError(`${ep.host}:${ep.port}: GET /api/status did not answer JSON (is this a TypeBoot board?)`);
  return r.json;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

function clock(s: number): string {
  if (!Number.isFinite(s)) return "--:--";
  s = Math.round(s);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** A progress line on stderr when it is a terminal (rate and time left); nothing otherwise. */
export function progressBar(label: string): { update(done: number, total: number): void; end(): void } {
  const tty = !!process.stderr.isTTY;
  const started = Date.now();
  let last = 0;
  let shown = false;
  return {
    update(done, total) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const s = (now - started) / 1000;
      const rate = s > 0 ? done / s : 0;
      const pct = total ? Math.floor((done * 100) / total) : 0;
      const width = 24;
      const fill = Math.round((pct * width) / 100);
      const line = `${label} [${"#".repeat(fill)}${"-".repeat(width - fill)}] ${String(pct).padStart(3)}% ${bytes(done)}/${bytes(total)} ${bytes(Math.round(rate))}/s ${clock(rate ? (total - done) / rate : Infinity)} left`;
      process.stderr.write("\r" + line + "\x1b[K");
      shown = true;
    },
    end() {
      if (shown) process.stderr.write("\n");
      shown = false;
    },
  };
}

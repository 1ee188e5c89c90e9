/** typeboot upload <image.tbi> --to <host>[:port]: send an image by TFTP (our own client) or HTTP, then report what the board says. */
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError, inspectImage } from "../image";
import { OperationError, request, httpError } from "../http-client";
import { tftpPut } from "../tftp-client";
import { Opts, parseTarget, timeoutMs, credentials, getStatus, progressBar, bytes } from "./common";

export const usage =
  "typeboot upload <image.tbi> --to <host>[:httpPort] [--via tftp|http] [--tftp-port P] [--blksize N] [--windowsize N] [--user U --password P] [--timeout S] [--wait S] [--json]";
export const help =
  "Upload a packed image: by TFTP (default; blksize 1468, windowsize 4, falls back to plain RFC 1350) or HTTP PUT /api/firmware with login (--user/--password or TYPEBOOT_USER/TYPEBOOT_PASSWORD); then print the version the board reports.";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function intOpt(o: Opts, name: string, fallback: number, min: number, max: number): number {
  const v = o[name] === undefined ? fallback : Number(o[name]);
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${name} must be a whole number ${min}-${max}`);
  return v;
}

export async function run(args: string[], o: Opts): Promise<number> {
  const file = args[0];
  if (!file) throw new UsageError("no image given (typeboot upload app.tbi --to HOST)");
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
  if (o.to === undefined || o.to === true) throw new UsageError("--to <host>[:httpPort] is required");
  const ep = parseTarget(o.to, 80, "--to host");
  const via = o.via === undefined ? "tftp" : String(o.via);
  if (via !== "tftp" && via !== "http") throw new UsageError(`--via must be tftp or http, not '${via}'`);
  const tftpPort = intOpt(o, "tftp-port", 69, 1, 65535);
  const blksize = intOpt(o, "blksize", 1468, 8, 65464);
  const windowsize = intOpt(o, "windowsize", 4, 1, 65535);
  const ms = timeoutMs(o);
  const waitMs = intOpt(o, "wait", 15, 0, 3600) * 1000;
  const auth = via === "http" ? credentials(o) : undefined;
  const data = new Uint8Array(fs.readFileSync(file));
  const img = inspectImage(data); // not an image at all: a usage error
  if (img.problems.length) throw new UsageError(`${file}: ${img.problems.join("; ")}`);

  const bar = progressBar(`${path.basename(file)} → ${ep.host} (${via})`);
  const started = Date.now();
  let detail: Record<string, unknown> = {};
  let rebooting = false;
  try {
    if (via === "tftp") {
      const r = await tftpPut({
        host: ep.host, port: tftpPort, name: path.basename(file), data, blksize, windowsize,
        timeout: Math.max(1, Math.min(255, Math.round(ms / 5000))), onProgress: bar.update,
      });
      detail = { blksize: r.blksize, windowsize: r.windowsize, options: r.options, retransmits: r.retransmits };
    } else {
      const r = await request(ep, { method: "PUT", path: "/api/firmware", body: data, auth, timeoutMs: ms, onProgress: bar.update });
      if (r.status === 401) throw new OperationError(`${ep.host}:${ep.port}: wrong user name or password (HTTP 401)`);
      if (r.status !== 200 || !r.json || r.json.ok !== true) throw new OperationError(`${ep.host}:${ep.port} refused the upload: ${httpError(r)}`);
      rebooting = !!r.json.rebooting;
    }
  } finally {
    bar.end();
  }
  const secs = (Date.now() - started) / 1000;

  // What the board says now: update mode reports lastUpdate; a rebooting board is asked again
  // until its application (GET /app) or update mode (GET /api/status) answers, within --wait.
  let version: string | null = null;
  let running: string | null = null;
  let note = "";
  const deadline = Date.now() + Math.max(waitMs, ms);
  for (;;) {
    try {
      const s = await getStatus(ep, Math.min(ms, 2000));
      if (s.state === "rebooting") rebooting = true;
      else {
        version = s.lastUpdate ? s.lastUpdate.version : null;
        break;
      }
    } catch {
      try {
        const a = await request(ep, { method: "GET", path: "/app", timeoutMs: Math.min(ms, 2000) });
        if (a.status === 200 && a.json && a.json.version) {
          running = String(a.json.version);
          break;
        }
      } catch {
        /* still rebooting */
      }
    }
    if (Date.now() > deadline) {
      note = `the board${rebooting ? " (rebooting)" : ""} did not answer on ${ep.host}:${ep.port} within ${Math.round(Math.max(waitMs, ms) / 1000)} s after the upload`;
      break;
    }
    await sleep(200);
  }
  if (o.json) {
    console.log(JSON.stringify({ ok: true, file, bytes: data.length, image: img.version, via, seconds: secs, ...detail, boardVersion: version, running, note: note || null }));
  } else {
    const how = via === "tftp" ? `TFTP, blksize ${detail.blksize}, window ${detail.windowsize}${detail.options ? "" : " (server without options)"}` : "HTTP";
    console.log(`${file}: ${bytes(data.length)} sent to ${ep.host} in ${secs.toFixed(1)} s (${how})`);
    if (running) console.log(`board runs ${running}`);
    else if (version) console.log(`board reports version ${version}`);
    if (note) console.log(`note: ${note}`);
  }
  return 0;
}

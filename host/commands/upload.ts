/**
 * typeboot upload <image.tbi> --to <host>[:port]: send an image by TFTP (our own client) or HTTP, then report what the board says.
 * With several hosts (--to h1 h2 ..., --to-file FILE) it updates a fleet: K boards at a time, network
 * failures retried, a refusal of the image not; a summary table (or --json array) at the end.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError, inspectImage } from "../image";
import { Endpoint, OperationError, request, httpError } from "../http-client";
import { tftpPut } from "../tftp-client";
import { Opts, parseTarget, timeoutMs, credentials, getStatus, progressBar, bytes } from "./common";

export const usage =
  "typeboot upload <image.tbi> --to <host>[:httpPort[/tftpPort]] [--via tftp|http] [--tftp-port P] [--blksize N] [--windowsize N] [--user U --password P] [--timeout S] [--wait S] [--allow-downgrade] [--no-resume] [--json]\n" +
  "       typeboot upload <image.tbi> --to HOST HOST ... | --to-file hosts.txt [--parallel K] [--retries N] [same options]" +
  "\n\n" +
  [
    "A board is host[:httpPort[/tftpPort]]: the HTTP port defaults to 80, the TFTP port to --tftp-port (default 69),",
    "e.g. 10.0.0.7, 10.0.0.7:8080, 127.0.0.1:8080/6969 (a simulated board), [fe80::1]:80/69.",
    "",
    "Many boards at once: several hosts after --to, or --to-file FILE (one board a line, '#' starts a comment).",
    "  --parallel K   boards updated at the same time (default 4)",
    "  --retries N    tries again a board that failed for a network reason up to N times (default 1); a board",
    "                 that refuses the image (wrong board, too large, bad CRC, downgrade, wrong login) is not retried",
    "Each board's old version is read from GET /api/status first. Ends with a table (board, old, new, time, result),",
    "or with --json an array of { board, ok, oldVersion, newVersion, seconds, attempts, error }.",
    "Exit code: 0 if every board was updated, 1 if any failed, 2 for a usage mistake.",
    "",
    "  --allow-downgrade  install an image older than the board's confirmed one (the board refuses it otherwise:",
    "                     DOWNGRADE). Sent as the TFTP file name suffix '?allow-downgrade' (NAME?allow-downgrade)",
    "                     or the HTTP query PUT /api/firmware?allow-downgrade.",
    "Resume: an upload cut by a reset, a power cut or a lost connection continues where it stopped. By HTTP the",
    "  board's status says how far it holds this image verified (resume.offset, resume.etag); upload sends only the",
    "  rest, with Content-Range and If-Match (--no-resume sends it all). By TFTP the whole image is sent again and",
    "  the board skips the sectors it already verified (it neither erases nor programs them again).",
  ].join("\n");
export const help = "Upload a packed image: by TFTP (default; blksize 1468, windowsize 4, falls back to plain RFC 1350) or HTTP PUT /api/firmware with login (--user/--password or TYPEBOOT_USER/TYPEBOOT_PASSWORD); then print the version the board reports.";

/** The board refused the image or the login: trying again would not help (no retry in a fleet). */
export class RefusedError extends OperationError {}

/** `host[:httpPort[/tftpPort]]` (or `[v6]:port/port`): the HTTP endpoint and the TFTP port. */
export function parseBoard(s: string, tftpDefault: number): Endpoint & { tftpPort: number } {
  const m = /^(.*:\d+)\/(\d+)$/.exec(s);
  const ep = parseTarget(m ? m[1] : s, 80, "--to host");
  const tftpPort = m ? Number(m[2]) : tftpDefault;
  if (!Number.isInteger(tftpPort) || tftpPort < 1 || tftpPort > 65535) throw new UsageError(`'${s}': the TFTP port must be 1-65535`);
  return { ...ep, tftpPort };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function intOpt(o: Opts, name: string, fallback: number, min: number, max: number): number {
  const v = o[name] === undefined ? fallback : Number(o[name]);
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${name} must be a whole number ${min}-${max}`);
  return v;
}

interface Settings {
  via: "tftp" | "http";
  blksize: number;
  windowsize: number;
  ms: number;
  waitMs: number;
  auth?: { user: string; password: string };
  allowDowngrade: boolean;
  resume: boolean;
}

interface Outcome {
  seconds: number;
  detail: Record<string, unknown>;
  boardVersion: string | null;
  running: string | null;
  note: string;
}

/** One upload to one board, then what the board says (its lastUpdate, or the application's version after a reboot). */
async function uploadTo(b: Endpoint & { tftpPort: number }, name: string, data: Uint8Array, st: Settings, onProgress?: (done: number, total: number) => void): Promise<Outcome> {
  const ep: Endpoint = { host: b.host, port: b.port };
  const { ms, waitMs } = st;
  const started = Date.now();
  let detail: Record<string, unknown> = {};
  let rebooting = false;
  if (st.via === "tftp") {
    try {
      const r = await tftpPut({
        host: ep.host, port: b.tftpPort, name: st.allowDowngrade ? name + "?allow-downgrade" : name, data, blksize: st.blksize, windowsize: st.windowsize,
        timeout: Math.max(1, Math.min(255, Math.round(ms / 5000))), onProgress,
      });
      detail = { blksize: r.blksize, windowsize: r.windowsize, options: r.options, retransmits: r.retransmits };
    } catch (e) {
      // A TFTP error packet about the image is a refusal; "busy" (another upload) is worth another try.
      if (e instanceof OperationError && / refused the upload: (?!busy)/.test(e.message)) throw new RefusedError(e.message + downgradeHint(e.message));
      throw e;
    }
  } else {
    // Resume: the board holds the start of this very image (same header CRC), verified up to offset.
    let from = 0;
    if (st.resume) {
      const s = await getStatus(ep, Math.min(ms, 5000)).catch(() => null);
      const r = s && s.resume;
      if (r && r.total === data.length && r.offset > 0 && r.offset < data.length && parseInt(r.etag, 16) === Buffer.from(data).readUInt32LE(0x3c)) from = r.offset;
    }
    const path = "/api/firmware" + (st.allowDowngrade ? "?allow-downgrade" : "");
    const headers = from ? { "Content-Range": `bytes ${from}-${data.length - 1}/${data.length}`, "If-Match": `"${Buffer.from(data).readUInt32LE(0x3c).toString(16).padStart(8, "0")}"` } : undefined;
    const prog = onProgress && ((done: number) => onProgress(from + done, data.length));
    const r = await request(ep, { method: "PUT", path, body: from ? data.subarray(from) : data, auth: st.auth, timeoutMs: ms, onProgress: prog, headers });
    if (from) detail = { resumedAt: from };
    if (r.status === 401) throw new RefusedError(`${ep.host}:${ep.port}: wrong user name or password (HTTP 401)`);
    if (r.status !== 200 || !r.json || r.json.ok !== true) {
      const msg = `${ep.host}:${ep.port} refused the upload: ${httpError(r)}${downgradeHint(r.body)}`;
      // 4xx is about the image or the request (409 is a busy board: another try may do).
      throw r.status >= 400 && r.status < 500 && r.status !== 409 && r.status !== 408 && r.status !== 429 ? new RefusedError(msg) : new OperationError(msg);
    }
    rebooting = !!r.json.rebooting;
  }
  const seconds = (Date.now() - started) / 1000;

  // What the board says now: update mode reports lastUpdate; a rebooting board is asked again
  // until its application (GET /app) or update mode (GET /api/status) answers, within --wait.
  let boardVersion: string | null = null;
  let running: string | null = null;
  let note = "";
  const deadline = Date.now() + Math.max(waitMs, ms);
  for (;;) {
    try {
      const s = await getStatus(ep, Math.min(ms, 2000));
      if (s.state === "rebooting") rebooting = true;
      else {
        boardVersion = s.lastUpdate ? s.lastUpdate.version : null;
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
  return { seconds, detail, boardVersion, running, note };
}

/** The board refused an older image: say how to force it. */
function downgradeHint(text: string): string {
  return /DOWNGRADE|older than the confirmed/.test(text) ? "\n  the board runs a newer confirmed image; add --allow-downgrade to install this older one anyway" : "";
}

function settings(o: Opts): Settings {
  const via = o.via === undefined ? "tftp" : String(o.via);
  if (via !== "tftp" && via !== "http") throw new UsageError(`--via must be tftp or http, not '${via}'`);
  return {
    via,
    blksize: intOpt(o, "blksize", 1468, 8, 65464),
    windowsize: intOpt(o, "windowsize", 4, 1, 65535),
    ms: timeoutMs(o),
    waitMs: intOpt(o, "wait", 15, 0, 3600) * 1000,
    auth: via === "http" ? credentials(o) : undefined,
    allowDowngrade: !!o["allow-downgrade"],
    resume: !o["no-resume"],
  };
}

function readImage(file: string | undefined): { file: string; data: Uint8Array; version: string } {
  if (!file) throw new UsageError("no image given (typeboot upload app.tbi --to HOST)");
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
  const data = new Uint8Array(fs.readFileSync(file));
  const img = inspectImage(data); // not an image at all: a usage error
  if (img.problems.length) throw new UsageError(`${file}: ${img.problems.join("; ")}`);
  return { file, data, version: img.version };
}

/** The hosts of a fleet: --to's value and the words after it, and --to-file's lines. */
function fleetHosts(args: string[], o: Opts): string[] {
  const hosts: string[] = [];
  if (typeof o.to === "string") hosts.push(o.to, ...args.slice(1));
  else if (args.length > 1) throw new UsageError(`unexpected '${args[1]}' (hosts go after --to)`);
  if (o["to-file"] !== undefined) {
    const f = o["to-file"];
    if (typeof f !== "string") throw new UsageError("--to-file needs a file name");
    if (!fs.existsSync(f)) throw new UsageError(`${f}: no such file`);
    for (const line of fs.readFileSync(f, "utf8").split(/\r?\n/)) {
      const h = line.replace(/#.*/, "").trim();
      if (h) hosts.push(...h.split(/\s+/));
    }
    if (!hosts.length) throw new UsageError(`${f}: no hosts in it (one host[:httpPort[/tftpPort]] a line)`);
  }
  return hosts;
}

export async function run(args: string[], o: Opts): Promise<number> {
  const { file, data, version } = readImage(args[0]);
  if ((o.to === undefined || o.to === true) && o["to-file"] === undefined) throw new UsageError("--to <host>[:httpPort] is required");
  const tftpDefault = intOpt(o, "tftp-port", 69, 1, 65535);
  if (args.length > 1 || o["to-file"] !== undefined || o.parallel !== undefined || o.retries !== undefined) {
    return fleet(file, data, version, fleetHosts(args, o), tftpDefault, o);
  }
  const b = parseBoard(String(o.to), tftpDefault);
  const st = settings(o);
  const bar = progressBar(`${path.basename(file)} → ${b.host} (${st.via})`);
  let r: Outcome;
  try {
    r = await uploadTo(b, path.basename(file), data, st, bar.update);
  } finally {
    bar.end();
  }
  if (o.json) {
    console.log(JSON.stringify({ ok: true, file, bytes: data.length, image: version, via: st.via, seconds: r.seconds, ...r.detail, boardVersion: r.boardVersion, running: r.running, note: r.note || null }));
  } else {
    const d = r.detail;
    const how = st.via === "tftp" ? `TFTP, blksize ${d.blksize}, window ${d.windowsize}${d.options ? "" : " (server without options)"}` : d.resumedAt ? `HTTP, resumed at byte ${d.resumedAt}` : "HTTP";
    console.log(`${file}: ${bytes(data.length)} sent to ${b.host} in ${r.seconds.toFixed(1)} s (${how})`);
    if (r.running) console.log(`board runs ${r.running}`);
    else if (r.boardVersion) console.log(`board reports version ${r.boardVersion}`);
    if (r.note) console.log(`note: ${r.note}`);
  }
  return 0;
}

interface FleetRow {
  board: string;
  ok: boolean;
  oldVersion: string | null;
  newVersion: string | null;
  seconds: number;
  attempts: number;
  error: string | null;
  note: string | null;
}

async function fleet(file: string, data: Uint8Array, version: string, hosts: string[], tftpDefault: number, o: Opts): Promise<number> {
  const boards = hosts.map((h) => ({ name: h, ...parseBoard(h, tftpDefault) }));
  const seen = new Set<string>();
  for (const b of boards) {
    const k = `${b.host}:${b.port}`;
    if (seen.has(k)) throw new UsageError(`${b.name}: listed twice`);
    seen.add(k);
  }
  const parallel = intOpt(o, "parallel", 4, 1, 256);
  const retries = intOpt(o, "retries", 1, 0, 100);
  const st = settings(o);
  const name = path.basename(file);
  const rows: FleetRow[] = new Array(boards.length);
  let done = 0;

  const one = async (b: (typeof boards)[number]): Promise<FleetRow> => {
    const ep: Endpoint = { host: b.host, port: b.port };
    const started = Date.now();
    let oldVersion: string | null = null;
    let error = "";
    for (let attempt = 1; ; attempt++) {
      try {
        if (attempt === 1 || oldVersion === null) {
          const s = await getStatus(ep, Math.min(st.ms, 5000));
          oldVersion = (s.app && s.app.valid && s.app.version) || null;
          if (s.state === "receiving") throw new OperationError(`${b.host}:${b.port}: busy with another upload (${s.transfer ? s.transfer.transport + " from " + s.transfer.peer : "?"})`);
        }
        const r = await uploadTo(b, name, data, st);
        const newVersion = r.running || r.boardVersion;
        const ok = newVersion === version;
        return {
          board: b.name, ok, oldVersion, newVersion, seconds: (Date.now() - started) / 1000, attempts: attempt,
          error: ok ? null : newVersion ? `the board reports version ${newVersion}, not ${version}` : r.note || "the board did not report the new version",
          note: r.note || null,
        };
      } catch (e) {
        if (!(e instanceof OperationError)) throw e;
        error = e.message;
        if (e instanceof RefusedError || attempt > retries) {
          return { board: b.name, ok: false, oldVersion, newVersion: null, seconds: (Date.now() - started) / 1000, attempts: attempt, error, note: null };
        }
        if (!o.json) process.stderr.write(`${b.name}: ${error}; trying again (${attempt + 1} of ${retries + 1})\n`);
        await sleep(500 * attempt);
      }
    }
  };

  let next = 0;
  const worker = async () => {
    while (next < boards.length) {
      const i = next++;
      rows[i] = await one(boards[i]);
      done++;
      if (!o.json) {
        const r = rows[i];
        process.stderr.write(`[${done}/${boards.length}] ${r.board}: ${r.ok ? `${r.oldVersion ?? "-"} → ${r.newVersion} in ${r.seconds.toFixed(1)} s` : `FAILED: ${r.error}`}\n`);
      }
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: Math.min(parallel, boards.length) }, worker));
  const failed = rows.filter((r) => !r.ok).length;
  if (o.json) {
    console.log(JSON.stringify(rows, null, 2));
  } else {
    const cells = rows.map((r) => [r.board, r.oldVersion ?? "-", r.newVersion ?? "-", `${r.seconds.toFixed(1)} s`, r.ok ? `ok${r.attempts > 1 ? ` (${r.attempts} tries)` : ""}` : `FAILED${r.attempts > 1 ? ` after ${r.attempts} tries` : ""}: ${r.error}`]);
    const head = ["board", "old", "new", "time", "result"];
    const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(w[i]))).join("  ");
    console.log(line(head));
    for (const c of cells) console.log(line(c));
    console.log(`${file} (${version}): ${rows.length - failed} of ${rows.length} boards updated${failed ? `, ${failed} failed` : ""} in ${((Date.now() - started) / 1000).toFixed(1)} s (${st.via}, ${Math.min(parallel, boards.length)} at a time)`);
  }
  return failed ? 1 : 0;
}

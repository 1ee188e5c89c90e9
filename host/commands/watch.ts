/** typeboot watch <host>[:port]: follow a board's GET /api/status: live progress of an upload, state changes, the result. */
import { UsageError } from "../image";
import { OperationError } from "../http-client";
import { Opts, parseTarget, getStatus, bytes } from "./common";

export const usage = "typeboot watch <host>[:httpPort] [--interval MS] [--timeout S] [--once] [--json]" +
  "\n\n" +
  [
    "Follow a board's status (GET /api/status every --interval ms, default 500) from another terminal: the progress of an",
    "upload in progress (percent, bytes, rate, transport, peer), state changes, and the result (the new version or the error).",
    "  --once       print one status line and exit",
    "  --timeout S  give up after S seconds (default: run until Ctrl-C)",
    "  --json       one JSON object a line: {event: status|state|progress|done|failed|unreachable|timeout, ...}",
    "Exit code: 0 when an upload finished (or after one status with --once), 1 when it failed, the board did not",
    "answer (--once) or --timeout passed, 2 for a usage mistake.",
  ].join("\n");
export const help = "Follow a board's status from another terminal: live progress of an upload in progress, state changes, the result.";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function num(o: Opts, name: string, fallback: number | undefined, min: number, max: number): number | undefined {
  if (o[name] === undefined) return fallback;
  const v = Number(o[name]);
  if (!Number.isFinite(v) || v < min || v > max) throw new UsageError(`--${name} must be a number ${min}-${max}`);
  return v;
}

export async function run(args: string[], o: Opts): Promise<number> {
  // `--once HOST` (the option parser takes the host as the flag's value): the host it is.
  if (typeof o.once === "string") {
    args = [o.once, ...args];
    o.once = true;
  }
  if (args.length > 1) throw new UsageError(`unexpected '${args[1]}' (one board: typeboot watch HOST[:PORT])`);
  const ep = parseTarget(args[0], 80);
  const where = `${ep.host}:${ep.port}`;
  const interval = num(o, "interval", 500, 20, 60000)!;
  const timeoutS = num(o, "timeout", undefined, 0.1, 7 * 24 * 3600);
  const deadline = timeoutS === undefined ? Infinity : Date.now() + timeoutS * 1000;
  const json = !!o.json;
  const tty = !json && !!process.stdout.isTTY;
  let lineOpen = false;
  const out = (text: string, obj: Record<string, unknown>) => {
    if (json) return console.log(JSON.stringify({ event: obj.event, board: where, ...obj }));
    if (lineOpen) process.stdout.write("\n");
    lineOpen = false;
    console.log(text);
  };
  const progress = (text: string, obj: Record<string, unknown>) => {
    if (tty) {
      process.stdout.write("\r" + text + "\x1b[K");
      lineOpen = true;
    } else out(text, obj);
  };
  // A board busy erasing a sector answers late: wait a few seconds for each answer, and say "not
  // answering" only when it is refused or times out twice in a row.
  const reqMs = Math.max(3000, Math.min(10000, interval * 4));
  let misses = 0;

  let first: any = null;
  let lastState = "";
  let lastReceived = -1;
  let sawTransfer = false;
  let unreachable = "";
  const key = (s: any) => JSON.stringify([s.lastUpdate ?? null, s.lastError ?? null]);
  for (;;) {
    let s: any;
    try {
      s = await getStatus(ep, Math.min(reqMs, Math.max(100, deadline - Date.now())));
    } catch (e) {
      if (!(e instanceof OperationError)) throw e;
      if (o.once) throw e;
      misses++;
      if (e.message !== unreachable && (misses > 1 || !/no answer within/.test(e.message))) {
        unreachable = e.message;
        // A board that reboots after an update stops answering for a while: say so once, keep asking.
        out(`board not answering: ${e.message}${sawTransfer ? " (rebooting?)" : ""}`, { event: "unreachable", message: e.message });
      }
      s = null;
    }
    if (s) {
      misses = 0;
      if (unreachable) {
        unreachable = "";
        out(`board answers again`, { event: "state", state: s.state });
      }
      if (!first) {
        first = s;
        const running = s.app && s.app.version ? `, app ${s.app.version}${s.app.valid ? "" : " (not valid)"}` : ", no application";
        out(`${where}: ${s.board ?? "?"} in ${s.state}${running}${s.lastUpdate ? `, last update ${s.lastUpdate.version}` : ""}`, { event: "status", status: s });
        if (o.once) return 0;
      } else if (s.state !== lastState) {
        out(`state: ${lastState} → ${s.state}`, { event: "state", from: lastState, state: s.state });
      }
      lastState = s.state;
      const t = s.transfer;
      if (t) {
        sawTransfer = true;
        if (t.received !== lastReceived) {
          lastReceived = t.received;
          const secs = (t.elapsedMs || 0) / 1000;
          const rate = secs > 0 ? t.received / secs : 0;
          const pct = t.percent ?? null;
          progress(
            `${t.transport} from ${t.peer}: ${pct !== null ? `${String(pct).padStart(3)}% ` : ""}${bytes(t.received)}${t.total ? ` of ${bytes(t.total)}` : ""}, ${bytes(Math.round(rate))}/s, ${secs.toFixed(1)} s`,
            { event: "progress", transport: t.transport, peer: t.peer, received: t.received, total: t.total, percent: pct, rate: Math.round(rate), elapsedMs: t.elapsedMs },
          );
        }
      } else lastReceived = -1;
      // The upload ended: a lastUpdate or lastError that was not there when we started (or one after a transfer we saw).
      if (!t && (s.lastUpdate || s.lastError) && (key(s) !== key(first) || sawTransfer)) {
        // A good upload clears lastError, so an error now is this upload's.
        const u = s.lastUpdate;
        const err = s.lastError;
        if (err) {
          out(`upload failed: ${err.message} [${err.code}${err.transport ? `, ${err.transport}` : ""}]`, { event: "failed", lastError: err });
          return 1;
        }
        out(`upload finished: version ${u.version}, ${bytes(u.bytes)} by ${u.transport} in ${(u.ms / 1000).toFixed(1)} s${s.state === "rebooting" ? "; the board reboots" : ""}`, { event: "done", lastUpdate: u, state: s.state });
        return 0;
      }
    }
    if (Date.now() + interval > deadline) {
      out(`no finished upload within ${timeoutS} s`, { event: "timeout", seconds: timeoutS });
      return 1;
    }
    await sleep(interval);
  }
}

/** typeboot status <host>[:port]: what the board is doing (GET /api/status). */
import { Opts, parseTarget, timeoutMs, getStatus, bytes } from "./common";

export const usage = "typeboot status <host>[:httpPort] [--json] [--timeout S]";
export const help = "Show a board's status (state, board, update mode, slots, transfer, last error, heap) from GET /api/status.";

function slot(s: any): string {
  if (!s) return "-";
  if (!s.version) return `empty${s.problem ? ` (${s.problem})` : ""}`;
  return `${s.version}, ${s.valid ? "valid" : "NOT valid"}, ${s.confirmed ? "confirmed" : "not confirmed"}${s.attempts ? `, ${s.attempts} boot attempts` : ""}${s.problem ? ` (${s.problem})` : ""}`;
}

export function table(s: any): string {
  const t = s.transfer;
  const rows: [string, string][] = [
    ["state", String(s.state ?? "-")],
    ["board", `${s.board ?? "?"}${s.boardId !== undefined ? ` (id ${s.boardId})` : ""}`],
    ["update mode", String(s.updateMode ?? "-")],
    ["application", slot(s.app)],
    ["staging", slot(s.staging)],
    ["transfer", t ? `${t.transport} from ${t.peer}: ${bytes(t.received)}${t.total ? ` of ${bytes(t.total)} (${t.percent}%)` : ""}, ${(t.elapsedMs / 1000).toFixed(1)} s` : "none"],
    ["last update", s.lastUpdate ? `${s.lastUpdate.version} (${bytes(s.lastUpdate.bytes)} by ${s.lastUpdate.transport} in ${(s.lastUpdate.ms / 1000).toFixed(1)} s)` : "-"],
    ["last error", s.lastError ? `${s.lastError.message} [${s.lastError.code}${s.lastError.transport ? `, ${s.lastError.transport}` : ""}]` : "none"],
    ["boot reason", String(s.bootReason ?? "-")],
    ["heap", s.heap ? (typeof s.heap === "object" ? Object.entries(s.heap).map(([k, v]) => `${k} ${v}`).join(", ") : String(s.heap)) : "-"],
    ["uptime", s.uptimeMs !== undefined ? `${(s.uptimeMs / 1000).toFixed(1)} s` : "-"],
  ];
  if (s.runtimeError) rows.push(["runtime error", typeof s.runtimeError === "string" ? s.runtimeError : JSON.stringify(s.runtimeError)]);
  return rows.map(([k, v]) => `${k.padEnd(13)} ${v}`).join("\n");
}

export async function run(args: string[], o: Opts): Promise<number> {
  const ep = parseTarget(args[0], 80);
  const s = await getStatus(ep, timeoutMs(o));
  console.log(o.json ? JSON.stringify(s, null, 2) : table(s));
  return 0;
}

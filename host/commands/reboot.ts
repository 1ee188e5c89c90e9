/** typeboot reboot <host>[:port]: POST /api/reboot with Basic auth. */
import { OperationError, request, httpError } from "../http-client";
import { Opts, parseTarget, timeoutMs, credentials } from "./common";

export const usage = "typeboot reboot <host>[:httpPort] --user U --password P [--json] [--timeout S]   (or TYPEBOOT_USER / TYPEBOOT_PASSWORD)";
export const help = "Reboot a board in update mode (POST /api/reboot; refused while an upload is in progress).";

export async function run(args: string[], o: Opts): Promise<number> {
  const ep = parseTarget(args[0], 80);
  const auth = credentials(o);
  const r = await request(ep, { method: "POST", path: "/api/reboot", timeoutMs: timeoutMs(o), auth });
  if (r.status === 401) throw new OperationError(`${ep.host}:${ep.port}: wrong user name or password (HTTP 401)`);
  if (r.status !== 200) throw new OperationError(`${ep.host}:${ep.port} refused to reboot: ${httpError(r)}`);
  console.log(o.json ? JSON.stringify({ ok: true, host: ep.host, port: ep.port, rebooting: true }) : `${ep.host}:${ep.port}: rebooting`);
  return 0;
}

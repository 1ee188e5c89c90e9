/**
 * Update-mode bundle: the TFTP and HTTP servers over the update service. The runtime evaluates it
 * only in update mode and calls TypeBootUpdate.start().
 */
import { platform } from "../platform/globals";
import { UpdateService } from "../update/service";
import { startTftp } from "../net/tftp";
import { startHttp } from "../net/http";

export interface UpdateConfig {
  tftpPort?: number;
  httpPort?: number;
  address?: string;
  rebootAfterUpdate?: boolean;
  /** After a good upload, before the reset (the last ACK / response must get out): default 1500 ms. */
  rebootDelayMs?: number;
  bootReason?: string;
}

export function start(config?: UpdateConfig) {
  const c = config || {};
  const p = platform();
  const svc = new UpdateService(p, { rebootAfterUpdate: c.rebootAfterUpdate !== false, rebootDelayMs: c.rebootDelayMs || 1500 });
  svc.bootReason = c.bootReason || "";
  const tftp = startTftp(p, svc, { port: c.tftpPort || 69, address: c.address });
  const http = startHttp(p, svc, { port: c.httpPort || 80, address: c.address });
  p.boot.log("update mode: TFTP on port " + (c.tftpPort || 69) + ", HTTP on port " + (c.httpPort || 80));
  return {
    service: svc,
    close: function () {
      tftp.close();
      http.close();
    },
  };
}

export { UpdateService };
export { ImageWriter } from "../flash/writer";

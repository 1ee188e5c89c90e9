/**
 * Boot-policy bundle: runs at every reset. Decides between running the application, installing a
 * staged image, rolling back and update mode (src/boot/policy.ts), and carries it out.
 * The runtime calls TypeBootBoot.main(); it returns only when the board is to stay in update mode.
 */
import { platform } from "../platform/globals";
import { bootMain } from "../boot/boot";

export function main() {
  return bootMain(platform());
}

export { decide } from "../boot/policy";
export { readSlot } from "../boot/slots";

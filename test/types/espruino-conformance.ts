// Our Flash module and E must stay usable wherever Espruino's are expected (@types/espruino).
import type { FlashModule, EModule } from "../../src/platform/contract";

declare const ours: FlashModule;
const asEspruinoFlash: Pick<typeof Flash, "getPage" | "getFree" | "erasePage" | "write" | "read"> = ours;
declare const ourE: EModule;
const asEspruinoE: Pick<typeof E, "toUint8Array"> = ourE;
export { asEspruinoFlash, asEspruinoE };

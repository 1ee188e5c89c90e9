// Self-test of build/bundle/update.js under duk: the TFTP and HTTP servers, the update service and
// the flash writer, driven through the shim's fake sockets. Run: duk shim.js update.js update-selftest.js
function u16(b, o) { return (b[o] << 8) | b[o + 1]; }
function packet(op, block, data) {
  var p = new Uint8Array(4 + (data ? data.length : 0));
  p[1] = op; p[2] = block >> 8; p[3] = block & 255;
  if (data) p.set(data, 4);
  return p;
}
function lastTo(port) {
  for (var i = __udpOut.length - 1; i >= 0; i--) if (__udpOut[i].to === port) return __udpOut[i];
  return null;
}

var server = TypeBootUpdate.start({ tftpPort: 69, httpPort: 80, rebootAfterUpdate: false });
check("update bundle starts TFTP and HTTP", !!__udp[69] && !!__tcp[80]);

// ---- TFTP: WRQ with blksize and tsize, then the image in 512-byte blocks ----
var img = makeImage("1.0.0", 3000, 7);
__udpDeliver(69, E.toUint8Array("\u0000\u0002app.tbi\u0000octet\u0000blksize\u0000512\u0000tsize\u0000" + img.length + "\u0000"), 5000);
__advance(0);
var oack = lastTo(5000);
check("WRQ with options is answered with an OACK from a new port", oack && oack.data[1] === 6 && oack.from !== 69, oack && oack.data[1]);
var tid = oack ? oack.from : 0, blocks = Math.floor(img.length / 512) + 1, okAcks = true;
// a stranger's packet to the transfer port gets ERROR 5 and the transfer goes on
__udpDeliver(tid, packet(3, 1, new Uint8Array(10)), 5001);
var e5 = lastTo(5001);
check("a stranger gets ERROR 5 (unknown transfer ID)", e5 && e5.data[1] === 5 && u16(e5.data, 2) === 5);
for (var b = 1; b <= blocks; b++) {
  __udpDeliver(tid, packet(3, b, img.subarray((b - 1) * 512, Math.min(img.length, b * 512))), 5000);
  __advance(0);
  var a = lastTo(5000);
  if (!a || a.data[1] !== 4 || u16(a.data, 2) !== b) okAcks = false;
}
check("every DATA block is acknowledged", okAcks);
check("the image is in the application slot, byte for byte", slotEquals(0x08040000, img));
check("the slot is marked valid", E.toString(__Flash.read(4, 0x080401c0)) === "VLID");

__advance(60000);

// RRQ for the status file
__udpDeliver(69, E.toUint8Array("\u0000\u0001status\u0000octet\u0000"), 7000);
__advance(0);
var st = lastTo(7000);
check("RRQ status returns DATA with the status JSON", st && st.data[1] === 3 && E.toString(st.data.subarray(4)).indexOf("\"board\":\"stm324xg-eval\"") >= 0, st && E.toString(st.data));
if (st) __udpDeliver(st.from, packet(4, 1), 7000);
__advance(60000);

// ---- HTTP ----
var c = __tcpConnect(80);
c.send("GET /api/status HTTP/1.1\r\nHost: board\r\n\r\n");
var resp = c.text();
check("GET /api/status answers 200 with JSON", resp.indexOf("HTTP/1.1 200") === 0 && resp.indexOf("\"version\":\"1.0.0\"") > 0, resp.slice(0, 200));

var img2 = makeImage("1.0.1", 5000, 9);
c = __tcpConnect(80);
c.send("PUT /api/firmware HTTP/1.1\r\nAuthorization: Basic YWRtaW46czNjcmV0\r\nContent-Length: " + img2.length + "\r\nHost: board\r\n\r\n");
for (var off = 0; off < img2.length; off += 1000) c.send(img2.subarray(off, Math.min(img2.length, off + 1000)));
__advance(10);
resp = c.text();
check("PUT /api/firmware with Basic auth is accepted", resp.indexOf("HTTP/1.1 200") === 0, resp.slice(0, 300));
check("the second image is in flash", slotEquals(0x08040000, img2));

var bad = makeImage("1.0.2", 2000, 11, 1065);
c = __tcpConnect(80);
c.send("PUT /api/firmware HTTP/1.1\r\nAuthorization: Basic YWRtaW46czNjcmV0\r\nContent-Length: " + bad.length + "\r\n\r\n");
c.send(bad);
__advance(10);
resp = c.text();
check("an image for another board is refused with 4xx and a message", /^HTTP\/1\.1 4\d\d/.test(resp) && resp.indexOf("board") > 0, resp.slice(0, 300));
check("the refused image changed nothing", slotEquals(0x08040000, img2));

c = __tcpConnect(80);
c.send("PUT /api/firmware HTTP/1.1\r\nContent-Length: 10\r\n\r\n");
check("an upload without credentials is refused with 401", c.text().indexOf("HTTP/1.1 401") === 0, c.text().slice(0, 100));

server.close();
done();

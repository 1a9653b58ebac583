// CRC-32 as IEEE 802.3 / zlib define it (docs/protocol.md, "Frames"): reflected, polynomial 0xEDB88320,
// register preset to 0xFFFFFFFF and complemented at the end. Table-driven, one byte per step.

const POLY = 0xedb88320;

const table = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32 of `data`. Pass the CRC of the bytes before `data` as `previous` to continue a running checksum:
 * `crc32(b, crc32(a)) === crc32(a ++ b)` (zlib's crc32(crc, buf, len) convention).
 */
export function crc32(data: Uint8Array, previous = 0, start = 0, end = data.length): number {
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = start; i < end; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

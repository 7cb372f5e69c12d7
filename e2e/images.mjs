// Small test pictures made here, so the tests need no image files: a PNG encoder for RGB pixels.

import { crc32, deflateSync } from 'node:zlib';

/**
 * A `width`×`height` PNG of a sunset-like scene (sky gradient, a sun, hills), so a screenshot
 * shows at a glance whether it is upright, cropped or stretched.
 */
export function scenePng(width, height) {
  const rows = [];
  const sunX = width * 0.7;
  const sunY = height * 0.38;
  const sunR = Math.min(width, height) * 0.14;
  for (let y = 0; y < height; y += 1) {
    const row = Buffer.alloc(1 + width * 3);
    // Filter type 0 (none) for every scanline.
    row[0] = 0;
    for (let x = 0; x < width; x += 1) {
      const t = y / height;
      let rgb = [Math.round(40 + 200 * t), Math.round(90 + 60 * t), Math.round(200 - 90 * t)];
      if ((x - sunX) ** 2 + (y - sunY) ** 2 < sunR ** 2) rgb = [255, 214, 90];
      const hill = height * (0.72 + 0.08 * Math.sin((x / width) * Math.PI * 3));
      if (y > hill) rgb = [Math.round(30 + 40 * (y / height)), Math.round(110 - 30 * (y / height)), 60];
      row.set(rgb, 1 + x * 3);
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header(width, height)),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function header(width, height) {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data[8] = 8; // bit depth
  data[9] = 2; // colour type: RGB
  return data; // compression, filter and interlace: 0
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

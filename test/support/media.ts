/** Real media files for the upload tests, made here: images with sharp, audio and video headers by hand. */
import sharp from 'sharp';

/** A JPEG with EXIF (camera, copyright) and a GPS position, turned by EXIF orientation 6 (90° clockwise). */
export async function jpegWithGps(width = 1200, height = 800): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'ParleyCam', Model: 'Spy 3000', Copyright: 'secret owner' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4000/100' },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

export function png(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 10, g: 200, b: 90, alpha: 1 } } }).png().toBuffer();
}

/** A PNG of random pixels: it does not compress, so its size is about width × height × 3. */
export function noisyPng(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
}

/** PCM WAV: the RIFF header written by hand, then `seconds` of a 440 Hz tone at 8 kHz mono 16-bit. */
export function wav(seconds = 0.25): Buffer {
  const rate = 8000;
  const samples = Math.round(rate * seconds);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** An MP3: an ID3v2.3 tag (with a title) followed by MPEG-1 Layer III frame headers (128 kbit/s, 44.1 kHz). */
export function mp3(frames = 20): Buffer {
  const title = Buffer.from('Parley test tone', 'latin1');
  const frame = Buffer.alloc(10 + 1 + title.length);
  frame.write('TIT2', 0, 'ascii');
  frame.writeUInt32BE(1 + title.length, 4);
  title.copy(frame, 11);
  const id3 = Buffer.alloc(10);
  id3.write('ID3', 0, 'ascii');
  id3[3] = 3;
  const size = frame.length; // sync-safe: every byte below 0x80
  id3[6] = (size >> 21) & 0x7f;
  id3[7] = (size >> 14) & 0x7f;
  id3[8] = (size >> 7) & 0x7f;
  id3[9] = size & 0x7f;
  const mpegFrame = Buffer.alloc(417);
  mpegFrame.set([0xff, 0xfb, 0x90, 0x64]);
  return Buffer.concat([id3, frame, ...Array.from({ length: frames }, () => mpegFrame)]);
}

function box(type: string, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.write(type, 4, 'ascii');
  return Buffer.concat([header, body]);
}

/** An ISO BMFF file: an `ftyp` box with the given major brand, then an `mdat` box of `bytes` filler. */
export function isoMedia(brand: 'isom' | 'M4A ' | 'qt  ', bytes = 4096): Buffer {
  const ftyp = box('ftyp', Buffer.from(brand, 'ascii'), Buffer.from([0, 0, 2, 0]), Buffer.from(`${brand}iso2mp41`, 'ascii'));
  return Buffer.concat([ftyp, box('mdat', Buffer.alloc(bytes, 7))]);
}

/** The first bytes of an MP4 (`ftyp` isom and the start of an `mdat` claiming `total` bytes). */
export function mp4Header(total: number): Buffer {
  const ftyp = box('ftyp', Buffer.from('isom', 'ascii'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2mp41', 'ascii'));
  const mdat = Buffer.alloc(8);
  mdat.writeUInt32BE(total - ftyp.length, 0);
  mdat.write('mdat', 4, 'ascii');
  return Buffer.concat([ftyp, mdat]);
}

function ebml(id: number[], ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  if (body.length > 0x7f) throw new Error('keep test EBML elements small');
  return Buffer.concat([Buffer.from(id), Buffer.from([0x80 | body.length]), body]);
}

/** A WebM with one track: type 1 (video, VP8) or 2 (audio, Opus). */
export function webm(track: 'video' | 'audio'): Buffer {
  const header = ebml([0x1a, 0x45, 0xdf, 0xa3], ebml([0x42, 0x86], Buffer.from([1])), ebml([0x42, 0x82], Buffer.from('webm')));
  const entry = ebml(
    [0xae],
    ebml([0xd7], Buffer.from([1])),
    ebml([0x83], Buffer.from([track === 'video' ? 1 : 2])),
    ebml([0x86], Buffer.from(track === 'video' ? 'V_VP8' : 'A_OPUS')),
  );
  const tracks = ebml([0x16, 0x54, 0xae, 0x6b], entry);
  const cluster = Buffer.concat([Buffer.from([0x1f, 0x43, 0xb6, 0x75, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), Buffer.alloc(2048, 3)]);
  // A Segment of unknown size, as live recorders (MediaRecorder) write it.
  const segment = Buffer.concat([Buffer.from([0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), tracks, cluster]);
  return Buffer.concat([header, segment]);
}

/** An animated GIF of `frames` frames of width × height. */
export async function animatedGif(width = 40, height = 30, frames = 3): Promise<Buffer> {
  const frame = (r: number) => sharp({ create: { width, height, channels: 3, background: { r, g: 60, b: 90 } } }).png().toBuffer();
  const pngs = await Promise.all(Array.from({ length: frames }, (_, i) => frame((i * 80) % 256)));
  return sharp(pngs, { join: { animated: true } }).gif().toBuffer();
}

export function webpImage(width = 50, height = 20): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 1, g: 2, b: 3 } } }).webp().toBuffer();
}

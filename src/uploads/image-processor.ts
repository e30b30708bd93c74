import sharp, { type Sharp, type SharpOptions } from 'sharp';
import { ParleyError } from '../protocol/index.js';

/** Images above this many pixels are refused before decoding (decompression bombs). */
export const MAX_IMAGE_PIXELS = 100_000_000;
export const THUMBNAIL_MAX_SIDE = 320;

export interface ProcessedImage {
  width: number;
  height: number;
  /** Bytes of the cleaned file. */
  size: number;
  thumbnailSize: number;
}

const formats: Record<string, (image: Sharp) => Sharp> = {
  'image/jpeg': (image) => image.jpeg({ quality: 90 }),
  'image/png': (image) => image.png(),
  'image/webp': (image) => image.webp({ quality: 90 }),
  'image/gif': (image) => image.gif(),
};

/**
 * Re-encodes an uploaded image without its metadata (EXIF, GPS, XMP, comments: sharp writes none unless
 * asked), turned upright by its EXIF orientation first, and writes a WebP thumbnail at most 320 px on its
 * longer side. libvips does the work on libuv's threadpool: the event loop only awaits it.
 */
export async function processImage(input: string, mime: string, output: string, thumbnail: string): Promise<ProcessedImage> {
  const encode = formats[mime];
  if (!encode) throw new ParleyError('unsupported_type', `Images of type ${mime} are not accepted.`);
  const base: SharpOptions = { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error', autoOrient: true };
  try {
    const meta = await sharp(input, base).metadata();
    const pages = meta.pages ?? 1;
    const animated = pages > 1;
    const info = await encode(sharp(input, { ...base, animated })).toFile(output);
    const thumb = await sharp(input, base)
      .resize({ width: THUMBNAIL_MAX_SIDE, height: THUMBNAIL_MAX_SIDE, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toFile(thumbnail);
    return { width: info.width, height: animated ? Math.round(info.height / pages) : info.height, size: info.size, thumbnailSize: thumb.size };
  } catch (err) {
    if (err instanceof ParleyError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(message)) {
      throw new ParleyError('too_large', `Images may have at most ${MAX_IMAGE_PIXELS} pixels.`);
    }
    throw new ParleyError('unsupported_type', 'The image could not be decoded.');
  }
}

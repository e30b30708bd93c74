import { fileTypeFromBuffer } from 'file-type';
import type { AttachmentKind } from '../protocol/index.js';

/** How many leading bytes are read before deciding the kind (WebM track lists sit well inside this). */
export const SNIFF_BYTES = 64 * 1024;

export interface Sniffed {
  kind: AttachmentKind;
  /** The Content-Type the file is served with. */
  mime: string;
}

/** What file-type finds ⇒ what Parley accepts and serves it as. Anything else is refused (415). */
const accepted: Record<string, Sniffed> = {
  'image/jpeg': { kind: 'image', mime: 'image/jpeg' },
  'image/png': { kind: 'image', mime: 'image/png' },
  'image/webp': { kind: 'image', mime: 'image/webp' },
  'image/gif': { kind: 'image', mime: 'image/gif' },
  'video/mp4': { kind: 'vdo', mime: 'video/mp4' },
  'video/x-m4v': { kind: 'vdo', mime: 'video/mp4' },
  'video/quicktime': { kind: 'vdo', mime: 'video/quicktime' },
  'audio/mpeg': { kind: 'audio', mime: 'audio/mpeg' },
  'audio/ogg': { kind: 'audio', mime: 'audio/ogg' },
  'audio/ogg; codecs=opus': { kind: 'audio', mime: 'audio/ogg; codecs=opus' },
  'audio/wav': { kind: 'audio', mime: 'audio/wav' },
  'audio/x-m4a': { kind: 'audio', mime: 'audio/mp4' },
  'audio/mp4': { kind: 'audio', mime: 'audio/mp4' },
  'audio/aac': { kind: 'audio', mime: 'audio/aac' },
};

/**
 * The kind of a file from its first bytes (magic numbers), never from a declared type or name.
 * `head` is the start of the file (all of it when the file is shorter than SNIFF_BYTES).
 */
export async function sniff(head: Uint8Array): Promise<Sniffed | undefined> {
  if (head.length === 0) return undefined;
  const found = await fileTypeFromBuffer(head);
  if (!found) return undefined;
  if (found.mime === 'video/webm') {
    return webmHasOnlyAudio(head) ? { kind: 'audio', mime: 'audio/webm' } : { kind: 'vdo', mime: 'video/webm' };
  }
  return accepted[found.mime];
}

// Matroska/WebM element ids (with their length marker bits, as written in the file).
const SEGMENT = 0x18538067;
const TRACKS = 0x1654ae6b;
const TRACK_ENTRY = 0xae;
const TRACK_TYPE = 0x83;
const CLUSTER = 0x1f43b675;
const CONTAINERS = new Set([SEGMENT, TRACKS, TRACK_ENTRY]);
const VIDEO_TRACK = 1;
const AUDIO_TRACK = 2;

/** A variable-length integer at `pos`: its byte length and value (value -1: "unknown size"). */
function readVint(buf: Uint8Array, pos: number, keepMarker: boolean): { length: number; value: number } | undefined {
  const first = buf[pos];
  if (first === undefined || first === 0) return undefined;
  const length = Math.clz32(first) - 23;
  if (length > 8 || pos + length > buf.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === (0xff >> length);
  for (let i = 1; i < length; i++) {
    value = value * 256 + buf[pos + i]!;
    allOnes &&= buf[pos + i] === 0xff;
  }
  return { length, value: !keepMarker && allOnes ? -1 : value };
}

/**
 * WebM is audio or video by its tracks: file-type calls both `video/webm`. Parley walks the EBML tree in
 * the head (EBML header, Segment, Tracks, TrackEntry, TrackType) and takes a WebM whose track list has
 * audio tracks and no video track as audio. No readable track list in the head ⇒ video (the larger limit
 * then applies, which is what an unrecognised WebM gets anyway).
 */
export function webmHasOnlyAudio(buf: Uint8Array): boolean {
  const types: number[] = [];
  let pos = 0;
  const ends: number[] = [buf.length];
  while (pos < buf.length) {
    while (ends.length > 1 && pos >= ends.at(-1)!) ends.pop();
    const id = readVint(buf, pos, true);
    if (!id) break;
    const size = readVint(buf, pos + id.length, false);
    if (!size) break;
    const body = pos + id.length + size.length;
    if (id.value === CLUSTER) break;
    if (CONTAINERS.has(id.value)) {
      if (size.value >= 0) ends.push(body + size.value);
      pos = body;
      continue;
    }
    if (id.value === TRACK_TYPE && size.value >= 1 && size.value <= 8 && body + size.value <= buf.length) {
      let type = 0;
      for (let i = 0; i < size.value; i++) type = type * 256 + buf[body + i]!;
      types.push(type);
    }
    if (size.value < 0) break;
    pos = body + size.value;
  }
  return types.includes(AUDIO_TRACK) && !types.includes(VIDEO_TRACK);
}

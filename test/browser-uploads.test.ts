import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { wav } from './support/media.js';
import { hasChromium, useDemoBrowser } from './support/browser.js';
import { activeRoom, createTestApp } from './support/test-app.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Refreshed only on request (PARLEY_SCREENSHOT=1), so test runs leave the tree clean.
const SCREENSHOT = process.env.PARLEY_SCREENSHOT ? join(root, 'docs/attachments.png') : join(tmpdir(), 'parley-attachments.png');

/** A real photo-like JPEG (the demo's bowl, rendered large) with a GPS position in its EXIF. */
function photo(): Promise<Buffer> {
  const svg = readFileSync(join(root, 'public/img/sample-bowl.svg'));
  return sharp(svg, { density: 300 })
    .resize(1600, 1200, { fit: 'contain', background: '#f3efe8' })
    .flatten({ background: '#f3efe8' })
    .jpeg({ quality: 85 })
    .withExif({ IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '45/1 45/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '4/1 50/1 0/1' } })
    .toBuffer();
}

const lastMessage = '#messages li[data-id]:last-child';

describe.skipIf(!hasChromium)('demo web client: attachments (chromium)', () => {
  const { signIn } = useDemoBrowser(['--autoplay-policy=no-user-gesture-required']);

  it('attaches a photo and a voice message; the other side sees the thumbnail and plays the audio', { timeout: 60_000 }, async () => {
    const t = await createTestApp();
    const [c, v] = await Promise.all([t.connect('c1'), t.connect('v1')]);
    await activeRoom(c, v, 'c1', 'v1', 'order-1042');
    await v.request('message', { roomToken: 'order-1042', message: 'Here is the walnut bowl you asked about.' });
    c.close();
    v.close();

    const customer = await signIn(t, 'c1');
    const vendor = await signIn(t, 'v1');
    for (const page of [customer, vendor]) {
      await page.click('#rooms li[data-token="order-1042"] .room-main');
      await page.waitForSelector('#chat[data-state="active"]');
    }

    await vendor.setInputFiles('#composer [name=file]', { name: 'bowl.jpg', mimeType: 'image/jpeg', buffer: await photo() });
    const thumb = `${lastMessage}.theirs a.photo img[src$="/thumbnail"]`;
    await customer.waitForSelector(thumb);
    await customer.waitForFunction((selector) => (document.querySelector(selector) as HTMLImageElement | null)?.naturalWidth === 320, thumb);
    const link = await customer.getAttribute(`${lastMessage} a.photo`, 'href');
    expect(link).toMatch(/\/v1\/uploads\/[A-Za-z0-9_-]{24}$/);

    await customer.fill('#composer [name=message]', 'Lovely! Can I hear the finish? Knock on it :)');
    await customer.click('#composer button[type=submit]');
    await vendor.waitForSelector(`${lastMessage}.theirs .text >> text=Knock on it`);
    await vendor.setInputFiles('#composer [name=file]', { name: 'knock.wav', mimeType: 'audio/wav', buffer: wav(1.5) });
    const audio = `${lastMessage}.theirs audio`;
    await customer.waitForSelector(audio);
    // The browser fetches the audio (with Range requests), decodes it and can play it.
    await customer.waitForFunction((selector) => (document.querySelector(selector) as HTMLAudioElement).readyState >= 1, audio);
    const duration = await customer.$eval(audio, (el) => (el as HTMLAudioElement).duration);
    expect(duration).toBeCloseTo(1.5, 1);
    const played = await customer.$eval(audio, (el) => (el as HTMLAudioElement).play().then(() => true, (err: Error) => err.message));
    expect(played).toBe(true);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await customer.screenshot({ path: SCREENSHOT });
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=order-1042&namespace=customer&limit=20`)).json();
    const kinds = history.data.messages.map((m: { message_type: string; attachment?: { kind: string } }) => m.attachment?.kind ?? m.message_type);
    expect(kinds).toEqual(['audio', 'text', 'image', 'text']);
  });
});

import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, desktop, hasChromium, phone, useDemoBrowser } from './support/browser.js';
import { activeRoom, createTestApp } from './support/test-app.js';

// The README's picture is refreshed only on request (PARLEY_SCREENSHOT=1), so test runs leave the tree clean.
const SCREENSHOT = process.env.PARLEY_SCREENSHOT
  ? resolve(dirname(fileURLToPath(import.meta.url)), '../docs/screenshot.png')
  : join(tmpdir(), 'parley-demo-screenshot.png');
if (!hasChromium) {
  console.warn(`[browser.test] skipped: ${CHROMIUM} is missing (install Debian's chromium package to run the demo client test).`);
}

const room = (token: string) => `#rooms li[data-token="${token}"]`;
const lastMessage = '#messages li[data-id]:last-child';

/**
 * Typing shows for only 500 ms, too short to catch by polling on a busy machine: a MutationObserver,
 * installed before the typing starts, remembers that the page showed it.
 */
async function watchTyping(page: Page, text: string): Promise<() => Promise<void>> {
  await page.evaluate((expected) => {
    const node = document.querySelector('#typing')!;
    const shown = () => node.classList.contains('on') && node.textContent === expected;
    (window as { typingSeen?: Promise<void> }).typingSeen = new Promise<void>((resolve) => {
      const observer = new MutationObserver(() => {
        if (!shown()) return;
        observer.disconnect();
        resolve();
      });
      observer.observe(node, { attributes: true, childList: true, characterData: true, subtree: true });
    });
  }, text);
  return () => page.evaluate(() => (window as { typingSeen?: Promise<void> }).typingSeen);
}

/**
 * A fault on the wire: the first `message` event whose text is `text` gets an error ack from a proxy in front of
 * the server (the frame never reaches it); everything else passes through.
 */
function failFirstSend(text: string) {
  return (page: Page) =>
    page.routeWebSocket(/\/socket\.io\//, (ws) => {
      const server = ws.connectToServer();
      let failed = false;
      ws.onMessage((frame) => {
        const call = typeof frame === 'string' ? /^42(\/[^,]*,)?(\d+)(\[.*)$/s.exec(frame) : null;
        const args = call ? (JSON.parse(call[3]!) as [string, { message?: string }]) : undefined;
        if (!failed && call && args?.[0] === 'message' && args[1]?.message === text) {
          failed = true;
          const error = { code: 'internal', message: 'Injected fault: the message was not stored.' };
          return ws.send(`43${call[1] ?? ''}${call[2]}${JSON.stringify([{ success: false, error }])}`);
        }
        server.send(frame);
      });
    });
}

/** The element shows its whole text on one line: not wrapped, not cut. */
function shownWhole(page: Page, selector: string): Promise<boolean> {
  return page.$eval(selector, (node) => {
    const lineHeight = parseFloat(getComputedStyle(node).lineHeight) || node.getBoundingClientRect().height;
    return node.scrollWidth <= node.clientWidth && node.getBoundingClientRect().height < lineHeight * 1.5;
  });
}

async function send(page: Page, text: string, type: 'text' | 'image' = 'text'): Promise<void> {
  await page.selectOption('#composer [name=type]', type);
  await page.fill('#composer [name=message]', text);
  await page.click('#composer button[type=submit]');
}

describe.skipIf(!hasChromium)('demo web client (chromium)', () => {
  const { signIn } = useDemoBrowser();

  it('creates and accepts a room, exchanges messages, shows typing, unread badges and read ticks', { timeout: 60_000 }, async () => {
    const t = await createTestApp();
    // A second conversation with unread messages, so the customer's list shows a badge and an online dot.
    const [c1, v2] = await Promise.all([t.connect('c1'), t.connect('v2')]);
    await activeRoom(c1, v2, 'c1', 'v2', 'order-977');
    for (const message of ['Your mug is glazed!', 'Shipping it tomorrow.']) await v2.request('message', { roomToken: 'order-977', message });
    c1.close();

    const customer = await signIn(t, 'c1');
    const vendor = await signIn(t, 'v1');
    // Signed in: the sign-in bar has folded away.
    expect(await customer.isVisible('#login')).toBe(false);
    expect(await customer.isVisible('#switch-user')).toBe(true);
    await customer.waitForSelector(`${room('order-977')} .badge >> text=2`);
    await customer.waitForSelector(`${room('order-977')} .dot.online`);

    await customer.selectOption('#new-room [name=role]', 'customer');
    await customer.fill('#new-room [name=counterpart]', 'v1');
    await customer.fill('#new-room [name=roomToken]', 'order-1042');
    await customer.click('#new-room button[type=submit]');
    await customer.waitForSelector(`${room('order-1042')}.pending`);
    await customer.waitForSelector('#pending-note >> text=Waiting for v1 to accept');
    await vendor.waitForSelector(`${room('order-1042')} button.accept`);
    await vendor.click(`${room('order-1042')} .room-main`);
    await vendor.click('#pending-accept');
    await vendor.waitForSelector('#chat[data-state="active"]');
    await customer.waitForSelector('#chat[data-state="active"]');
    await customer.waitForSelector(`${room('order-1042')} .dot.online`);

    const vendorSawTyping = await watchTyping(vendor, 'c1 is typing…');
    await customer.type('#composer [name=message]', 'Hi');
    await vendorSawTyping();
    await vendor.waitForSelector('#typing', { state: 'hidden' });
    await send(customer, 'Hi! Is the walnut bowl still available?');
    await vendor.waitForSelector(`${lastMessage} >> text=Is the walnut bowl still available?`);
    // The vendor has the room open, so it reads the message and the customer sees ✓✓.
    await customer.waitForSelector(`${lastMessage} .tick.read`);

    await send(vendor, `${t.url}/img/sample-bowl.svg`, 'image');
    await customer.waitForSelector(`${lastMessage}.theirs img[src="${t.url}/img/sample-bowl.svg"]`);
    const conversation: Array<[Page, Page, string]> = [
      [vendor, customer, 'Yes! Hand-turned from a single piece of walnut, finished with food-safe oil.'],
      [customer, vendor, 'Beautiful. Could it reach Lyon by Friday?'],
      [vendor, customer, 'It can go out today, so Thursday at the latest.'],
      [customer, vendor, 'Wonderful, I will take it!'],
    ];
    for (const [from, to, text] of conversation) {
      await send(from, text);
      await to.waitForSelector(`${lastMessage}.theirs .text >> text=${text}`);
      await from.waitForSelector(`${lastMessage}.mine .tick.read`);
    }
    expect(await customer.$$eval('#messages li.mine .tick:not(.read)', (ticks) => ticks.length)).toBe(0);
    expect(await customer.textContent(`${room('order-1042')} .room-preview`)).toBe('Wonderful, I will take it!');

    const customerSawTyping = await watchTyping(customer, 'v1 is typing…');
    await vendor.type('#composer [name=message]', 'Great');
    await customerSawTyping();
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await customer.screenshot({ path: SCREENSHOT });

    // What the pages showed is what the server stored.
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=order-1042&namespace=customer&limit=20`)).json();
    expect(history.data.messages.map((m: { message: string }) => m.message).reverse()).toEqual([
      'Hi! Is the walnut bowl still available?',
      `${t.url}/img/sample-bowl.svg`,
      ...conversation.map(([, , text]) => text),
    ]);
  });

  it('loads older messages with history cursors when scrolled to the top, and escapes user text', { timeout: 60_000 }, async () => {
    const t = await createTestApp();
    const [c, v] = await Promise.all([t.connect('c1'), t.connect('v1')]);
    await activeRoom(c, v, 'c1', 'v1', 'long');
    for (let i = 1; i <= 45; i++) await (i % 2 ? v : c).request('message', { roomToken: 'long', message: `message ${i}` });

    const customer = await signIn(t, 'c1');
    await customer.click(`${room('long')} .room-main`);
    await customer.waitForSelector(`${lastMessage} >> text=message 45`);
    expect(await customer.$$eval('#messages li[data-id]', (items) => items.length)).toBe(20);
    const count = () => customer.$$eval('#messages li[data-id]', (items) => items.length);
    for (let i = 0; i < 5 && (await count()) < 45; i++) {
      const before = await count();
      await customer.evaluate(() => document.querySelector('#scroller')!.scrollTo({ top: 0 }));
      await customer.waitForFunction((n) => document.querySelectorAll('#messages li[data-id]').length > n, before);
    }
    await customer.waitForSelector('#history-marker >> text=beginning of your conversation');
    const texts = await customer.$$eval('#messages li[data-id] .text', (items) => items.map((i) => i.textContent));
    expect(texts).toEqual(Array.from({ length: 45 }, (_, i) => `message ${i + 1}`));

    // User text is shown as text: no markup from a message ever becomes DOM.
    const hostile = '<b>bold</b> & <img src=x onerror="window.pwned=1">';
    await v.request('message', { roomToken: 'long', message: hostile });
    await customer.waitForSelector(`${lastMessage} .text >> text=window.pwned`);
    expect(await customer.textContent(`${lastMessage} .text`)).toBe(hostile);
    expect(await customer.$$(`${lastMessage} .bubble b, ${lastMessage} .bubble img`)).toHaveLength(0);
    expect(await customer.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
  });

  it('on a 390 px phone and at 1280 px: sign-in folds, the conversation gets the screen, names stay whole, a failed send says failed and retries', { timeout: 60_000 }, async () => {
    const t = await createTestApp();
    const [c, v] = await Promise.all([t.connect('customer-alexandra'), t.connect('vendor-woodworks')]);
    await activeRoom(c, v, 'customer-alexandra', 'vendor-woodworks', 'order-1042-walnut-bowl');
    c.close();
    const conversation = room('order-1042-walnut-bowl');

    const page = await signIn(t, 'customer-alexandra', phone, failFirstSend('Is it still available?'));
    expect(await page.isVisible('#login')).toBe(false);
    // The room list has the screen first; the name is whole (not wrapped at its hyphen, not cut).
    await page.waitForSelector(conversation);
    expect(await page.isVisible('#chat')).toBe(false);
    expect(await shownWhole(page, `${conversation} .room-who`)).toBe(true);
    expect(await page.textContent(`${conversation} .room-who`)).toBe('vendor-woodworks');

    await page.click(`${conversation} .room-main`);
    await page.waitForSelector('#chat[data-state="active"]');
    expect(await page.isVisible('.sidebar')).toBe(false);
    const chat = (await page.locator('#chat').boundingBox())!;
    expect(chat.width).toBe(phone.width);
    expect(chat.height).toBeGreaterThan(phone.height * 0.8);
    expect(await shownWhole(page, '#chat-title')).toBe(true);

    // The first attempt fails on the wire: the bubble says so and offers a retry, which stores it once.
    await send(page, 'Is it still available?');
    await page.waitForSelector('#messages li.failed .failed-label >> text=failed');
    await page.click('#messages li.failed button.retry');
    await page.waitForSelector(`${lastMessage}.mine .text >> text=Is it still available?`);
    expect(await page.$$('#messages li.failed')).toHaveLength(0);
    await v.waitFor('message', (m) => m.message === 'Is it still available?');
    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=order-1042-walnut-bowl&namespace=customer`)).json();
    expect(history.data.messages.map((m: { message: string }) => m.message)).toEqual(['Is it still available?']);

    await page.click('#chat-back');
    await page.waitForSelector(conversation);
    expect(await page.isVisible('#chat')).toBe(false);

    // At 1280 px both panes stay side by side, with no back button, and the names are whole too.
    const wide = await signIn(t, 'vendor-woodworks', desktop);
    await wide.click(`${conversation} .room-main`);
    await wide.waitForSelector(`${lastMessage} .text >> text=Is it still available?`);
    expect(await wide.isVisible('.sidebar')).toBe(true);
    expect(await wide.isVisible('#chat-back')).toBe(false);
    expect(await shownWhole(wide, `${conversation} .room-who`)).toBe(true);
    expect(await shownWhole(wide, '#chat-title')).toBe(true);
  });
});

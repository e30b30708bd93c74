import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { hasChromium, useDemoBrowser } from './support/browser.js';
import { activeRoom, createTestApp } from './support/test-app.js';

const bubbleWith = (text: string) => `#messages li[data-id]:has(.bubble .text:text-is("${text}"))`;

/** Hovers the message (its actions show on hover) and clicks one of them. */
async function act(page: Page, text: string, action: string): Promise<void> {
  const li = page.locator(bubbleWith(text)).last();
  await li.hover();
  await li.locator(`.msg-actions button[data-action="${action}"]`).click();
}

describe.skipIf(!hasChromium)('demo web client: replies, reactions, edits, deletes, report, block (chromium)', () => {
  const { signIn } = useDemoBrowser();

  it('shows and drives the message lifecycle between two pages', { timeout: 90_000 }, async () => {
    const t = await createTestApp();
    const [c, v] = await Promise.all([t.connect('c1'), t.connect('v1')]);
    await activeRoom(c, v, 'c1', 'v1', 'order-5');
    await v.request('message', { roomToken: 'order-5', message: 'Your bowl is ready' });
    c.close();
    v.close();
    const customer = await signIn(t, 'c1');
    const vendor = await signIn(t, 'v1');
    for (const page of [customer, vendor]) await page.click('#rooms li[data-token="order-5"] .room-main');
    await customer.waitForSelector(bubbleWith('Your bowl is ready'));

    // Reply: the vendor sees the quote.
    await act(customer, 'Your bowl is ready', 'reply');
    await customer.waitForSelector('#compose-mode:not([hidden]) >> text=Replying to: Your bowl is ready');
    await customer.fill('#composer [name=message]', 'Great, thanks!');
    await customer.click('#composer button[type=submit]');
    await vendor.waitForSelector(`${bubbleWith('Great, thanks!')} blockquote.quote:text-is("Your bowl is ready")`);

    // Reaction: both pages show the chip.
    await act(vendor, 'Great, thanks!', 'react-👍');
    for (const page of [vendor, customer]) await page.waitForSelector(`${bubbleWith('Great, thanks!')} .reactions .chip:text-is("👍 1")`);

    // Edit: the vendor sees the new text marked edited.
    await act(customer, 'Great, thanks!', 'edit');
    await customer.fill('#composer [name=message]', 'Great, thank you!');
    await customer.click('#composer button[type=submit]');
    await vendor.waitForSelector(`${bubbleWith('Great, thank you!')} .edited`);

    // Delete: a tombstone keeps its place on both pages.
    await customer.fill('#composer [name=message]', 'oops, wrong chat');
    await customer.click('#composer button[type=submit]');
    await vendor.waitForSelector(bubbleWith('oops, wrong chat'));
    await act(customer, 'oops, wrong chat', 'delete');
    for (const page of [customer, vendor]) await page.waitForSelector('#messages li.deleted >> text=This message was deleted.');
    expect(await vendor.locator(bubbleWith('oops, wrong chat')).count()).toBe(0);

    // Report a message, then block: the customer can no longer send.
    vendor.once('dialog', (dialog) => void dialog.accept('rude'));
    await act(vendor, 'Great, thank you!', 'report');
    await vendor.waitForSelector('#toast >> text=the report was sent');
    await vendor.click('#block-toggle');
    await vendor.waitForSelector('#block-toggle >> text=Unblock');
    await customer.fill('#composer [name=message]', 'hello?');
    await customer.click('#composer button[type=submit]');
    await customer.waitForSelector('#messages li.failed');
    await vendor.click('#block-toggle');
    await vendor.waitForSelector('#block-toggle >> text=Block');
  });
});

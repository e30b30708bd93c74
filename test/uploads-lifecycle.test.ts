import { describe, expect, it, onTestFinished } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import { png, wav } from './support/media.js';
import { activeRoom, createTestApp } from './support/test-app.js';
import { download, upload } from './support/uploads.js';

/** Attachments (§12) meet the message lifecycle and moderation (§13). */
async function chatWith(overrides: Parameters<typeof createTestApp>[0] = {}) {
  const t = await createTestApp(overrides);
  const [c, v] = await Promise.all([t.connect('c1'), t.connect('v1')]);
  await activeRoom(c, v, 'c1', 'v1', 'tok');
  return { t, c, v };
}

describe('attachments and the message lifecycle', () => {
  it('deleting a media message removes its files: the tombstone has no attachment and the url answers 404', async () => {
    const { t, c, v } = await chatWith();
    const photo = (await upload(t, await png(64, 48))).body.attachment;
    const other = (await upload(t, wav())).body.attachment;
    const sent = (await c.request('message', { roomToken: 'tok', type: 'image', attachmentId: photo.id })).data.message;
    await c.request('message', { roomToken: 'tok', type: 'audio', attachmentId: other.id });
    expect((await download(photo.url)).status).toBe(200);

    const tombstone = (await c.request('delete-message', { roomToken: 'tok', messageId: sent._id })).data.message;
    expect(tombstone).toMatchObject({ _id: sent._id, message: '', message_type: 'image' });
    expect(tombstone.deletedAt).toBeDefined();
    expect(tombstone).not.toHaveProperty('attachment');
    expect(await v.waitFor('message-updated', (m) => m._id === sent._id)).toEqual(tombstone);
    expect((await download(photo.url)).status).toBe(404);
    expect((await download(photo.thumbnailUrl)).status).toBe(404);
    // The other message's file is untouched.
    expect((await download(other.url)).status).toBe(200);

    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(history.data.messages.find((m: { _id: string }) => m._id === sent._id)).toEqual(tombstone);
    const synced = await v.request('sync', {});
    expect(synced.data.messages.find((m: { _id: string }) => m._id === sent._id)).toEqual(tombstone);
  });

  it('a blocked sender’s media message is refused and its upload stays free for a later message', async () => {
    const { t, c, v } = await chatWith();
    const clip = (await upload(t, wav())).body.attachment;
    await v.request('block-user', { userId: 'c1' });
    const refused = await c.request('message', { roomToken: 'tok', type: 'audio', attachmentId: clip.id });
    expect(refused.error.code).toBe('forbidden');
    await v.request('unblock-user', { userId: 'c1' });
    const sent = await c.request('message', { roomToken: 'tok', type: 'audio', attachmentId: clip.id });
    expect(sent.success).toBe(true);
    expect(sent.data.message.attachment.id).toBe(clip.id);
  });

  it('masking leaves an attachment url alone; a media message can answer another one', async () => {
    const { t, c, v } = await chatWith({ contactMasking: 'mask' });
    const question = (await v.request('message', { roomToken: 'tok', message: 'mail me at ann@example.com' })).data.message;
    expect(question).toMatchObject({ masked: true });
    expect(question.message).not.toContain('ann@example.com');
    const photo = (await upload(t, await png())).body.attachment;
    const ack = await c.request('message', { roomToken: 'tok', type: 'image', attachmentId: photo.id, replyTo: question._id });
    expect(ack.data.message).toMatchObject({ message: photo.url, replyTo: question._id, attachment: photo });
    expect(ack.data.message).not.toHaveProperty('masked');
    const spare = (await upload(t, await png())).body.attachment;
    const missing = await c.request('message', { roomToken: 'tok', type: 'image', attachmentId: spare.id, replyTo: '01ZZZZZZZZZZZZZZZZZZZZZZZZ' });
    expect(missing.error.code).toBe('not_found');
    // The refused reply released the upload.
    expect((await c.request('message', { roomToken: 'tok', type: 'image', attachmentId: spare.id })).success).toBe(true);
  });

  it('the sweep takes a deleted message’s file at once, and spares an upload a send has claimed', async () => {
    let now = Date.parse('2026-03-01T12:00:00Z');
    const t = await createTestApp({}, { clock: { now: () => now } });
    const [c, v] = await Promise.all([t.connect('c1'), t.connect('v1')]);
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const photo = (await upload(t, await png())).body.attachment;
    const inFlight = (await upload(t, wav())).body.attachment;
    const sent = (await c.request('message', { roomToken: 'tok', type: 'image', attachmentId: photo.id })).data.message;
    // Deleted behind the service's back (as when removing the file failed at delete time): the file is still there.
    const store = await openStore({ databaseUrl: t.databaseUrl, sqliteSynchronous: 'NORMAL' });
    onTestFinished(() => store.close());
    await store.moderation.lifecycle.tombstone(sent._id, new Date(now).toISOString());
    expect(await store.attachments.claim(inFlight.id, 'claim:in-flight')).toBe(true);
    expect((await download(photo.url)).status).toBe(200);
    expect(await t.app.sweepUploads()).toBe(1);
    expect((await download(photo.url)).status).toBe(404);
    // A day on, the claimed upload is past the orphan age but its send may still be in flight: kept.
    now += 25 * 3600_000;
    expect(await t.app.sweepUploads()).toBe(0);
    expect((await download(inFlight.url)).status).toBe(200);
    // Another day on, the claim is one whose send crashed: swept.
    now += 24 * 3600_000;
    expect(await t.app.sweepUploads()).toBe(1);
    expect((await download(inFlight.url)).status).toBe(404);
  });
});

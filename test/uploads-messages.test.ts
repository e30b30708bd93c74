import { describe, expect, it } from 'vitest';
import { isoMedia, png, wav } from './support/media.js';
import { platformApp } from './support/platform.js';
import { activeRoom, chat, createTestApp } from './support/test-app.js';
import { download, upload } from './support/uploads.js';

describe('media messages naming an attachmentId (SPEC §12)', () => {
  it('stores the attachment url as the message and carries `attachment` in ack, broadcast, history, sync and list-room', async () => {
    const { t, c, v } = await chat();
    const { attachment } = (await upload(t, await png(40, 30))).body;
    const ack = await c.request('message', { roomToken: 'tok', type: 'image', attachmentId: attachment.id, clientMsgId: 'pic-1' });
    expect(ack.success).toBe(true);
    const sent = ack.data.message;
    expect(sent).toMatchObject({ message: attachment.url, message_type: 'image', attachment });
    expect(sent.attachment).toEqual(attachment);
    expect(await v.waitFor('message', (m) => m._id === sent._id)).toEqual(sent);

    const history = await (await fetch(`${t.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(history.data.messages[0]).toEqual(sent);
    const synced = await v.request('sync', {});
    expect(synced.data.messages.at(-1)).toEqual(sent);
    const again = await t.connect('v1');
    const listed = await again.waitForPrivate('list-room');
    expect(listed.data.rooms[0].lastMessage).toEqual(sent);

    // Text and plain-URL media messages are unchanged: no attachment field.
    const text = (await c.request('message', { roomToken: 'tok', message: 'hello' })).data.message;
    expect(text).not.toHaveProperty('attachment');
    const byUrl = (await c.request('message', { roomToken: 'tok', type: 'image', message: 'https://cdn.example.com/a.jpg' })).data.message;
    expect(byUrl).not.toHaveProperty('attachment');
    expect(byUrl.message).toBe('https://cdn.example.com/a.jpg');
  });

  it('refuses another user’s or another namespace’s upload (forbidden) and a kind that is not the type (invalid_payload)', async () => {
    const { t, c, v } = await chat();
    const mine = (await upload(t, wav())).body.attachment;
    const theirs = (await upload(t, wav(), { userId: 'v1' })).body.attachment;
    const elsewhere = (await upload(t, wav(), { namespace: 'artisans' })).body.attachment;
    const send = (payload: object) => c.request('message', { roomToken: 'tok', ...payload });

    expect((await send({ type: 'audio', attachmentId: theirs.id })).error.code).toBe('forbidden');
    expect((await send({ type: 'audio', attachmentId: elsewhere.id })).error.code).toBe('forbidden');
    expect((await send({ type: 'image', attachmentId: mine.id })).error.code).toBe('invalid_payload');
    expect((await send({ type: 'vdo', attachmentId: mine.id })).error.code).toBe('invalid_payload');
    expect((await send({ type: 'text', message: 'hi', attachmentId: mine.id })).error.code).toBe('invalid_payload');
    expect((await send({ type: 'audio', attachmentId: 'not an id' })).error.code).toBe('invalid_payload');
    expect((await send({ type: 'audio', attachmentId: 'AAAAAAAAAAAAAAAAAAAAAAAA' })).error.code).toBe('not_found');
    expect((await send({ type: 'audio' })).error.code).toBe('invalid_payload');
    // None of the refused ones was stored or delivered; the own upload still works afterwards.
    await v.barrier();
    expect(v.all('message')).toEqual([]);
    const ok = await send({ type: 'audio', attachmentId: mine.id });
    expect(ok.data.message.attachment.id).toBe(mine.id);
  });

  it('attaches one upload to one message; a retry with the same clientMsgId gets the original', async () => {
    const { t, c, v } = await chat();
    const clip = (await upload(t, isoMedia('isom'))).body.attachment;
    const first = await c.request('message', { roomToken: 'tok', type: 'vdo', attachmentId: clip.id, clientMsgId: 'clip-1' });
    expect(first.success).toBe(true);
    const retry = await c.request('message', { roomToken: 'tok', type: 'vdo', attachmentId: clip.id, clientMsgId: 'clip-1' });
    expect(retry.data.message).toEqual(first.data.message);
    const reuse = await c.request('message', { roomToken: 'tok', type: 'vdo', attachmentId: clip.id, clientMsgId: 'clip-2' });
    expect(reuse.error.code).toBe('invalid_payload');
    await v.barrier();
    expect(v.all('message')).toHaveLength(1);
  });

  it('finds the attachments of messages, of a user and the orphans in the store', async () => {
    let now = Date.parse('2026-03-01T12:00:00Z');
    const t = await createTestApp({}, { clock: { now: () => now } });
    const [c, v] = await Promise.all([t.connect('c1'), t.connect('v1')]);
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const [used, orphan, kept] = await Promise.all([png(), wav(), wav()].map(async (file) => (await upload(t, await file)).body.attachment));
    const message = (await c.request('message', { roomToken: 'tok', type: 'image', attachmentId: used.id })).data.message;
    now += 25 * 3600_000;
    const fresh = (await upload(t, wav())).body.attachment;
    await c.request('message', { roomToken: 'tok', type: 'audio', attachmentId: kept.id });
    expect(await t.app.sweepUploads()).toBe(1);
    expect((await download(orphan.url)).status).toBe(404);
    expect((await download(fresh.url)).status).toBe(200);
    expect(await t.app.uploads.removeForMessages([message._id, 'unknown'])).toBe(1);
    expect((await download(used.url)).status).toBe(404);
    expect(await t.app.uploads.removeForUser('customer', 'c1')).toBe(2);
    for (const gone of [kept, fresh]) expect((await download(gone.url)).status).toBe(404);
  });

  it('erasing a user (platform API) removes its uploads; its messages lose their attachment', async () => {
    const t = await platformApp();
    const [c, v] = await Promise.all([t.connect('c1'), t.connect('v1')]);
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const photo = (await upload(t, await png())).body.attachment;
    const spare = (await upload(t, wav())).body.attachment;
    const kept = (await upload(t, wav(), { userId: 'v1' })).body.attachment;
    const sent = (await c.request('message', { roomToken: 'tok', type: 'image', attachmentId: photo.id })).data.message;
    await v.request('message', { roomToken: 'tok', type: 'audio', attachmentId: kept.id });
    expect(await t.api.eraseUser('customer', 'c1')).toEqual({ erased: { messages: 1, attachments: 2 } });
    for (const gone of [photo, spare]) expect((await download(gone.url)).status).toBe(404);
    expect((await download(photo.thumbnailUrl)).status).toBe(404);
    expect((await download(kept.url)).status).toBe(200);
    const history = await t.api.history('customer', 'tok');
    const tombstone = history.messages.find((m) => m._id === sent._id)!;
    expect(tombstone.message).toBe('');
    expect(tombstone.deletedAt).toBeDefined();
    expect(tombstone).not.toHaveProperty('attachment');
    expect(history.messages.find((m) => m._id !== sent._id)!.attachment!.id).toBe(kept.id);
    expect(await t.api.eraseUser('customer', 'c1')).toEqual({ erased: { messages: 1, attachments: 0 } });
  });
});

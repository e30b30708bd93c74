/**
 * §13 across nodes: two apps sharing one database and one Redis (a fresh key prefix), the members on
 * different nodes. message-updated, blocking and its presence effects must hold whichever node acts.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createTempPgDatabase, databaseUrl, deleteRedisKeys, explainSkip, redisUrl } from './support/services.js';
import { activeRoom, createTestApp, tempDir } from './support/test-app.js';

const redis = redisUrl();
if (!redis) explainSkip('lifecycle-cluster', 'TEST_REDIS_URL');

/** Two nodes on PostgreSQL when it is available (else one shared SQLite file) and one Redis. */
async function twoNodes() {
  const prefix = `parley-test-lc-${randomBytes(4).toString('hex')}:`;
  onTestFinished(() => deleteRedisKeys(redis!, prefix));
  const pgAdmin = databaseUrl();
  let url = `sqlite:${join(tempDir(), 'shared.db')}`;
  if (pgAdmin) {
    const database = await createTempPgDatabase(pgAdmin);
    onTestFinished(() => database.drop());
    url = database.url;
  }
  const overrides = { databaseUrl: url, redisUrl: redis!, redisKeyPrefix: prefix };
  const a = await createTestApp(overrides);
  const b = await createTestApp(overrides);
  return { a, b };
}

describe.skipIf(!redis)('message lifecycle and blocking across nodes (Redis)', () => {
  it('sends message-updated for edits, reactions and deletes to every socket of both members on every node', async () => {
    const { a, b } = await twoNodes();
    const c = await a.connect('c1');
    const v = await b.connect('v1');
    const vOnA = await a.connect('v1');
    const cOnB = await b.connect('c1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const sent = (await c.request('message', { roomToken: 'tok', message: 'helo' })).data.message;
    const edited = (await c.request('edit-message', { roomToken: 'tok', messageId: sent._id, message: 'hello' })).data.message;
    for (const socket of [c, v, vOnA, cOnB]) expect(await socket.waitFor('message-updated', (m) => m.editedAt)).toEqual(edited);
    const reacted = (await v.request('react', { roomToken: 'tok', messageId: sent._id, emoji: '👍' })).data.message;
    expect(reacted.reactions).toEqual({ '👍': ['v1'] });
    for (const socket of [c, v, vOnA, cOnB]) expect(await socket.waitFor('message-updated', (m) => m.reactions)).toEqual(reacted);
    const tombstone = (await cOnB.request('delete-message', { roomToken: 'tok', messageId: sent._id })).data.message;
    for (const socket of [c, v, vOnA, cOnB]) expect(await socket.waitFor('message-updated', (m) => m.deletedAt)).toEqual(tombstone);
    const history = await (await fetch(`${a.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(history.data.messages).toEqual([tombstone]);
  });

  it('a block made on one node holds on the other: messages refused, presence hidden, offline sent everywhere', async () => {
    const { a, b } = await twoNodes();
    const c = await a.connect('c1');
    const v = await b.connect('v1');
    await activeRoom(c, v, 'c1', 'v1', 'tok');
    const cOnB = await b.connect('c1');
    await v.request('block-user', { userId: 'c1' });
    for (const socket of [c, cOnB]) expect(await socket.waitForPrivate('offline', (p) => p.userId === 'v1')).toMatchObject({ userId: 'v1' });
    expect((await c.request('message', { roomToken: 'tok', message: 'from node a' })).error.code).toBe('forbidden');
    expect((await cOnB.request('message', { roomToken: 'tok', message: 'from node b' })).error.code).toBe('forbidden');
    expect((await c.request('typing', { roomToken: 'tok' })).error.code).toBe('forbidden');
    // The blocker reconnects on node a: the blocked user's sockets hear no `online`.
    const vOnA = await a.connect('v1');
    expect((await vOnA.waitForPrivate('list-room')).data.rooms[0].blocked).toBe(true);
    v.close();
    await c.barrier();
    await cOnB.barrier();
    expect(c.all('private', (p) => p.event === 'online' && p.userId === 'v1').length).toBeLessThanOrEqual(1);
    const history = await (await fetch(`${b.url}/v1/chat/?roomToken=tok&namespace=customer`)).json();
    expect(history.data.total).toBe(0);
    await vOnA.request('unblock-user', { userId: 'c1' });
    expect(await cOnB.waitForPrivate('online', (p) => p.userId === 'v1')).toMatchObject({ userId: 'v1' });
    expect((await cOnB.request('message', { roomToken: 'tok', message: 'thanks' })).success).toBe(true);
  });
});

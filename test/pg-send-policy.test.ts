/**
 * The send policy on PostgreSQL (a named prepared statement): it answers blocks and room masking as they
 * are now, and when the connection no longer has the statement (what a pooler that moves clients between
 * server connections does), the send still gets its answer and the node goes on without the name.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/open-store.js';
import { PgSendPolicy } from '../src/store/pg-send-policy.js';
import { createTempPgDatabase, databaseUrl, explainSkip, type TempDatabase } from './support/services.js';

const pgAdminUrl = databaseUrl();
if (!pgAdminUrl) explainSkip('pg-send-policy', 'TEST_DATABASE_URL');

describe.skipIf(!pgAdminUrl)('send policy on PostgreSQL: a named prepared statement', () => {
  let temp: TempDatabase;
  let pool: pg.Pool;
  let policy: PgSendPolicy;
  const ns = `ns-${randomUUID()}`;
  let roomId = '';

  beforeAll(async () => {
    temp = await createTempPgDatabase(pgAdminUrl!);
    const store = await openStore({ databaseUrl: temp.url, sqliteSynchronous: 'NORMAL' });
    const token = `t-${randomUUID()}`;
    const room = await store.rooms.insert(ns, {
      _id: '01J00000000000000000000000', roomID: token, roomToken: token, customerID: 'c', vendorID: 'v',
      createdBy: 'c', status: 'pending', createdAt: new Date().toISOString(),
    });
    roomId = room._id;
    await store.close();
    // One connection, so that the statement can be taken away from the very connection that prepared it.
    pool = new pg.Pool({ connectionString: temp.url, max: 1 });
    policy = new PgSendPolicy(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await temp?.drop();
  });

  it('answers blocks and masking as they are at each send', async () => {
    expect(await policy.policy(ns, roomId, 'v', 'c')).toEqual({ contactMasking: null, blocked: false });
    await pool.query('insert into blocks (namespace, blocker_id, blocked_id, created_at) values ($1, $2, $3, $4)', [ns, 'v', 'c', new Date().toISOString()]);
    await pool.query('update rooms set contact_masking = 1 where id = $1', [roomId]);
    expect(await policy.policy(ns, roomId, 'v', 'c')).toEqual({ contactMasking: true, blocked: true });
    expect(await policy.policy(ns, roomId, 'c', 'v')).toEqual({ contactMasking: true, blocked: false });
    expect(await policy.policy(ns, 'no-such-room', 'v', 'c')).toEqual({ contactMasking: null, blocked: false });
    expect(policy.prepared).toBe(true);
  });

  it('goes on unnamed when the connection lost the statement (a pooler in transaction mode)', async () => {
    await policy.policy(ns, roomId, 'v', 'c');
    await pool.query('deallocate parley_send_policy');
    expect(await policy.policy(ns, roomId, 'v', 'c')).toEqual({ contactMasking: true, blocked: true });
    expect(policy.prepared).toBe(false);
    expect(await policy.policy(ns, roomId, 'c', 'v')).toEqual({ contactMasking: true, blocked: false });
  });
});

/**
 * Scale-out end to end: three Parley processes sharing one PostgreSQL database and one Redis, clients on
 * different nodes (two of them through a switchable TCP "load balancer", reconnecting by themselves like
 * real apps); then one node is SIGKILLed and another drained with SIGTERM. See docs/scaling.md.
 * Every test makes its own users and room, so each can run alone (`-t`); the two that stop a node come last
 * and use only nodes no later test needs (node 1 is killed; node 3 is drained, and the kill test avoids it).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { presenceTimings } from '../src/presence/redis-presence.js';
import { TestClient } from './support/client.js';
import { startNode, type NodeProcess } from './support/node-process.js';
import { crossNodeLoad, type LoadStats } from './support/cross-node-load.js';
import { createSwitchProxy, type SwitchProxy } from './support/switch-proxy.js';
import { writeConfig } from './support/server-process.js';
import { waitUntil } from './support/wait-until.js';
import {
  createTempPgDatabase,
  databaseUrl,
  deleteRedisKeys,
  explainSkip,
  redisUrl,
  scanKeys,
  type TempDatabase,
} from './support/services.js';

const pgAdminUrl = databaseUrl();
const redis = redisUrl();
const missing = [...(pgAdminUrl ? [] : ['TEST_DATABASE_URL']), ...(redis ? [] : ['TEST_REDIS_URL'])];
if (missing.length > 0) explainSkip('cluster', missing);

const TTL_SECONDS = 3;
/** The offline bound computed from the nodes' configuration (PRESENCE_TTL_SECONDS), plus slack for a busy CI box. */
const EXPIRY_BOUND_MS = presenceTimings(TTL_SECONDS).boundMs;
const SLACK_MS = 1500;
const NS = 'customer';
const run = randomBytes(4).toString('hex');

describe.skipIf(missing.length > 0)('cluster: three nodes on PostgreSQL + Redis', () => {
  const prefix = `parley-test-${run}:`;
  const clients: TestClient[] = [];
  let nodes: NodeProcess[] = [];
  let database: TempDatabase | undefined;
  let dir: string | undefined;
  let admin: Redis;
  let scenarios = 0;

  beforeAll(async () => {
    admin = new Redis(redis!, { maxRetriesPerRequest: 1 });
    database = await createTempPgDatabase(pgAdminUrl!);
    dir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
    // Recovery is opt-in: these tests resume sessions across nodes.
    const configFile = writeConfig(dir, { recoveryWindowMs: 120_000 });
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      REDIS_URL: redis!,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      PRESENCE_TTL_SECONDS: String(TTL_SECONDS),
      CONFIG_FILE: configFile,
    };
    const started = await Promise.allSettled(['node1', 'node2', 'node3'].map((name) => startNode(name, env)));
    nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason; // afterAll stops the ones that did start
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all(nodes.map((node) => node.stop()));
    await database?.drop();
    await deleteRedisKeys(redis!, prefix);
    admin.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  function open(node: NodeProcess, userId: string, role: 'customerID' | 'vendorID'): Promise<TestClient> {
    const client = TestClient.open(node.url, NS, { query: { [role]: userId } });
    clients.push(client);
    onTestFinished(() => client.close());
    return client.connected();
  }

  /** A balancer in front of `node`, closed when the test finishes. */
  async function balancer(node: NodeProcess): Promise<SwitchProxy> {
    const lb = await createSwitchProxy(node.url);
    onTestFinished(() => lb.close());
    return lb;
  }

  /** A client that reconnects by itself (as apps do) to whatever node the balancer sends it to. */
  function viaBalancer(lb: SwitchProxy, userId: string, role: 'customerID' | 'vendorID'): Promise<TestClient> {
    const socket = io(`${lb.url}/${NS}`, {
      transports: ['websocket'],
      forceNew: true,
      query: { [role]: userId },
      reconnectionDelay: 200,
      reconnectionDelayMax: 200,
      randomizationFactor: 0,
    });
    const client = new TestClient(socket);
    clients.push(client);
    onTestFinished(() => client.close()); // before its balancer closes (finish hooks run last-in first-out)
    return client.connected();
  }

  /**
   * This test's own customer and vendor (fresh ids) and their accepted room: the customer on `customerNode`
   * and the vendor's first device on `vendorNode`, each through a balancer; the vendor's second device on
   * `secondNode` directly, if given.
   */
  async function scenario(customerNode: NodeProcess, vendorNode: NodeProcess, secondNode?: NodeProcess) {
    const tag = `${run}-${++scenarios}`;
    const C = `cust-${tag}`;
    const V = `vend-${tag}`;
    const TOKEN = `room-${tag}`;
    const lbC = await balancer(customerNode);
    const lbA = await balancer(vendorNode);
    const c = await viaBalancer(lbC, C, 'customerID');
    const vA = await viaBalancer(lbA, V, 'vendorID');
    await Promise.all([c.waitForPrivate('list-room'), vA.waitForPrivate('list-room')]);
    expect((await c.request('join-room', { customerID: C, vendorID: V, roomToken: TOKEN })).success).toBe(true);
    await vA.waitFor('join-room', (p) => p.data.room.roomToken === TOKEN);
    expect((await vA.request('accept-room', { customerID: C, vendorID: V, roomToken: TOKEN })).success).toBe(true);
    await c.waitFor('joined', (p) => p.data.room.roomToken === TOKEN);
    const vB = secondNode ? await open(secondNode, V, 'vendorID') : undefined;
    if (vB) await vB.waitForPrivate('list-online-user');
    const send = async (from: TestClient, text: string) => {
      const ack = await from.request('message', { roomToken: TOKEN, message: text });
      expect(ack.success, JSON.stringify(ack)).toBe(true);
      return ack.data.message as { _id: string };
    };
    /**
     * `from` types; once each of `to` has the typing notice, everything `from`'s node broadcast before has
     * reached `to`'s nodes too (one stream, read in order): lets a test assert that something did NOT arrive.
     */
    const mark = async (from: TestClient, fromUser: string, to: TestClient[]) => {
      expect((await from.request('typing', { roomToken: TOKEN })).success).toBe(true);
      await Promise.all(to.map((s) => s.waitFor('typing', (t) => t.userId === fromUser)));
    };
    const history = async (node: NodeProcess): Promise<string[]> => {
      const res = await fetch(`${node.url}/v1/chat/?roomToken=${TOKEN}&namespace=${NS}&limit=20`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: { messages: Array<{ _id: string }> } }).data.messages.map((m) => m._id);
    };
    return { C, V, TOKEN, lbC, lbA, c, vA, vB, send, mark, history };
  }

  function deliveredTo(sockets: TestClient[], id: string) {
    return Promise.all(sockets.map((s) => s.waitFor('message', (m) => m._id === id)));
  }

  const presenceNotices = (s: TestClient, event: 'online' | 'offline', userId: string) =>
    s.all('private', (p) => p.event === event && p.userId === userId).length;

  it('carries room requests and acceptance between nodes, with presence', async () => {
    const [n1, n2] = nodes as [NodeProcess, NodeProcess];
    const { C, V, TOKEN, c, vA } = await scenario(n1, n2);
    await c.waitForPrivate('online', (p) => p.userId === V);
    await vA.waitForPrivate('online', (p) => p.userId === C);
    await vA.waitFor('accept-room', (p) => p.data.room.status === 'active' && p.data.room.roomToken === TOKEN);
  });

  it('counts a second device on a third node as the same online user', async () => {
    const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const { C, V, TOKEN, c, mark } = await scenario(n1, n2);
    await c.waitForPrivate('online', (p) => p.userId === V);
    const vB = await open(n3, V, 'vendorID');
    const list = await vB.waitForPrivate('list-room');
    expect(list.data.rooms.map((r: { roomToken: string; status: string }) => [r.roomToken, r.status])).toEqual([[TOKEN, 'active']]);
    expect((await vB.waitForPrivate('list-online-user')).data.users).toEqual([C]);
    await mark(vB, V, [c]);
    expect(presenceNotices(c, 'online', V)).toBe(1);
  });

  it('delivers every message to every socket of both users, whichever node they are on', async () => {
    const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const { c, vA, vB, send } = await scenario(n1, n2, n3);
    const everyone = [c, vA, vB!];
    const fromCustomer = await send(c, 'hello from node 1');
    await deliveredTo(everyone, fromCustomer._id);
    const fromVendor = await send(vB!, 'hello from node 3');
    await deliveredTo(everyone, fromVendor._id);
    expect(fromVendor._id > fromCustomer._id).toBe(true);
  });

  it('sends typing to the other member’s sockets on other nodes, never back to the typist', async () => {
    const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const { C, c, vA, vB, mark } = await scenario(n1, n2, n3);
    await mark(c, C, [vA, vB!]);
    await c.barrier();
    expect(c.all('typing', (t) => t.userId === C)).toEqual([]);
  });

  it('answers history identically from every node', async () => {
    const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const { c, vB, send, history } = await scenario(n1, n2, n3);
    await send(c, 'one');
    await send(vB!, 'two');
    const [first, ...others] = await Promise.all(nodes.map(history));
    expect(first).toHaveLength(2);
    for (const other of others) expect(other).toEqual(first);
  });

  it('measures cross-node delivery: one message at a time, then two senders with 25 in flight each', async () => {
    const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const { TOKEN, c, vA, vB, history } = await scenario(n1, n2, n3);
    const report = (label: string, stats: LoadStats) =>
      console.log(
        `[cluster] ${label}: ${stats.messages} messages in ${stats.seconds.toFixed(2)} s = ` +
          `${Math.round(stats.messages / stats.seconds)} msg/s stored, ${Math.round((stats.messages * 3) / stats.seconds)} deliveries/s; ` +
          `send→receipt on node 3 p50 ${stats.p50.toFixed(1)} ms, p99 ${stats.p99.toFixed(1)} ms; ` +
          `deliveries out of _id order per socket: ${stats.inversions.join('/')}`,
      );
    const receivers = [c, vA, vB!];
    report('node 1 → nodes 1-3, one at a time', await crossNodeLoad({ roomToken: TOKEN, senders: [c], receivers, perSender: 50, window: 1 }));
    const loaded = await crossNodeLoad({ roomToken: TOKEN, senders: [c, vA], receivers, perSender: 150, window: 25 });
    report('nodes 1+2 → nodes 1-3, 2 × 25 in flight', loaded);
    const [first, ...others] = await Promise.all(nodes.map(history));
    for (const other of others) expect(other).toEqual(first);
  }, 60_000);

  it('recovers a dropped device’s session on another node and replays what it missed', async () => {
    const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const { C, lbA, c, vA, vB, send, mark } = await scenario(n1, n2, n3);
    const dropped = new Promise((resolve) => vA.socket.once('disconnect', resolve));
    const sessionsBefore = await sessionKeys();
    lbA.route(null); // the balancer takes node 2 out for this device…
    lbA.cut();
    await dropped;
    await waitUntil('node 2 to keep the session in Redis', async () => (await sessionKeys()) > sessionsBefore, 5000);
    const missed = await send(c, 'sent while a device was away');
    await deliveredTo([c, vB!], missed._id);

    const back = new Promise<void>((resolve) => vA.socket.once('connect', () => resolve()));
    lbA.route(n3.url); // …and sends it to node 3
    await back;
    expect(vA.socket.recovered).toBe(true);
    await vA.waitFor('message', (m) => m._id === missed._id);
    await mark(c, C, [vA]);
    expect(vA.all('message', (m) => m._id === missed._id)).toHaveLength(1);
  });

  it('sends no offline when one device closes, and exactly one when the last does', async () => {
    const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    const { V, c, vA, vB, mark } = await scenario(n1, n2, n3);
    await c.waitForPrivate('online', (p) => p.userId === V);
    vB!.close();
    await waitUntil('node 3 to drop the closed device', async () => (await vendorSockets(V)) === 1, 5000);
    vA.close();
    await c.waitForPrivate('offline', (p) => p.userId === V);
    // The vendor comes back on both nodes: the online from node 3 comes after anything node 3 sent before.
    const lbB = await balancer(n3);
    await viaBalancer(lbB, V, 'vendorID');
    await c.waitForPrivate('online', (p) => p.userId === V);
    const again = await open(n2, V, 'vendorID');
    await mark(again, V, [c]);
    expect(presenceNotices(c, 'offline', V)).toBe(1);
    expect(presenceNotices(c, 'online', V)).toBe(2);
  });

  it('survives a SIGKILLed node: its users go offline within the bound, and they resume elsewhere', async () => {
    const [n1, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    // The vendor's devices on nodes 2 and 3 (node 3 is drained by the next test, which does not need this one).
    const { C, lbC, c, vA, vB, send, history } = await scenario(n1, n2, n3);
    await vA.waitForPrivate('online', (p) => p.userId === C); // vB saw C in its list-online-user
    const killedAt = performance.now();
    n1.child.kill('SIGKILL'); // the customer's app retries through its balancer, still pointing at node 1
    const offline = (s: TestClient) =>
      s.waitForPrivate('offline', (p) => p.userId === C, EXPIRY_BOUND_MS + SLACK_MS + 1000).then(() => performance.now() - killedAt);
    const elapsed = await Promise.all([offline(vA), offline(vB!)]);
    console.log(`[cluster] offline after SIGKILL: ${elapsed.map((ms) => Math.round(ms)).join(' / ')} ms (bound ${EXPIRY_BOUND_MS} ms)`);
    for (const ms of elapsed) expect(ms).toBeLessThanOrEqual(EXPIRY_BOUND_MS + SLACK_MS);

    const meanwhile = await send(vA, 'node 1 is gone');
    await deliveredTo([vA, vB!], meanwhile._id);
    expect((await fetch(`${n2.url}/readyz`)).status).toBe(200);

    lbC.route(n2.url); // the balancer's health check has dropped node 1
    const list = await c.waitForPrivate('list-room', (p) => p.data.rooms[0]?.lastMessage?._id === meanwhile._id, 5000);
    expect(c.socket.recovered).toBe(false); // node 1 died before it could save the session
    expect(list.data.rooms[0]).toMatchObject({ lastMessage: { _id: meanwhile._id } });
    await Promise.all([vA, vB!].map((s) => s.waitForPrivate('online', (p) => p.userId === C)));
    const resumed = await send(c, 'back, on node 2');
    await deliveredTo([c, vA, vB!], resumed._id);
    expect(await history(n3)).toEqual(await history(n2));
    for (const s of [vA, vB!]) expect(presenceNotices(s, 'offline', C)).toBe(1);
  }, 30_000);

  it('drains a node on SIGTERM: its clients reconnect to another node by themselves and resume', async () => {
    const [, n2, n3] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    // Nodes 2 and 3 only: node 1 may have been killed by the test before.
    const { V, c, send } = await scenario(n2, n2);
    const lbB = await balancer(n3);
    const vB = await viaBalancer(lbB, V, 'vendorID');
    await vB.waitForPrivate('list-room');
    const dropped = new Promise((resolve) => vB.socket.once('disconnect', resolve));
    lbB.route(null); // the balancer stops sending anyone to node 3…
    n3.child.kill('SIGTERM');
    expect(await dropped).toBe('transport close'); // not "io server disconnect", after which clients stay away
    expect(await n3.exited).toBe(0);

    const missed = await send(c, 'sent while node 3 was going away');
    const back = new Promise<void>((resolve) => vB.socket.once('connect', () => resolve()));
    lbB.route(n2.url); // …and sends the reconnecting device to node 2
    await back;
    expect(vB.socket.recovered).toBe(true); // node 3 saved the session in Redis on its way out
    await vB.waitFor('message', (m) => m._id === missed._id);
    const reply = await send(vB, 'resumed on node 2');
    await deliveredTo([c, vB], reply._id);
  });

  async function sessionKeys(): Promise<number> {
    return (await scanKeys(admin, `${prefix}session:*`)).length;
  }

  function vendorSockets(V: string): Promise<number> {
    return admin.hlen(`${prefix}{presence}:u:${JSON.stringify([NS, V])}`);
  }
});

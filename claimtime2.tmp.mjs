import { openStore } from '/work/main/dist/store/open-store.js';
const path = `/tmp/claim-${Date.now()}.db`;
const store = await openStore({ databaseUrl: `sqlite:${path}`, sqliteSynchronous: 'NORMAL' });
const Database = (await import('better-sqlite3')).default;
const db = new Database(path);
const now = new Date().toISOString();
const ins = db.prepare(`insert into webhook_events (id, type, namespace, payload, created_at) values (?, 'message.created', 'ns', ?, ?)`);
const insd = db.prepare(`insert into webhook_deliveries (id, event_id, url, order_key, status, attempts, next_attempt_at, created_at) values (?, ?, 'http://x', ?, 'pending', 0, ?, ?)`);
const N = +process.argv[2];
const payload = JSON.stringify({type:'message.created', data: {text: 'x'.repeat(300)}});
db.transaction(() => { for (let i = 0; i < N; i++) { const id = String(1e12 + i); ins.run(id, payload, now); insd.run('d' + id, id, 'ns/room' + (i % 500), now, now); } })();
const nowF = new Date(Date.now() + 1000).toISOString();
const time = (label, f) => { const t = performance.now(); const r = f(); console.log(label, (performance.now() - t).toFixed(2), 'ms', Array.isArray(r) ? r.length : ''); return r; };
const heads = db.prepare(`select d.id, d.url, d.order_key from webhook_deliveries d indexed by webhook_deliveries_pending
        where d.status = 'pending' and d.url in (select value from json_each(?)) and d.next_attempt_at <= @now
          and (d.lease_until is null or d.lease_until <= @now)
          and not exists (select 1 from webhook_deliveries p
            where p.url = d.url and p.order_key = d.order_key and p.status = 'pending' and p.id < d.id)
        order by d.id limit @limit`);
const runs = db.prepare(`select id, next_attempt_at, lease_until from webhook_deliveries
        where url = ? and order_key = ? and status = 'pending' and id > ? order by id limit ?`);
for (let k = 0; k < 3; k++) {
const h = time('heads', () => heads.all('["http://x"]', { now: nowF, limit: 100 }));
const ids = time('runs', () => { const ids = []; for (const x of h) { ids.push(x.id); for (const r of runs.all(x.url, x.order_key, x.id, 19)) ids.push(r.id); } return ids; });
const j = JSON.stringify(ids);
time('lease', () => db.prepare(`update webhook_deliveries set lease_until = ? where id in (select value from json_each(?))`).run(nowF, j));
const c = time('claimed', () => db.prepare(`select d.*, e.type, e.payload from webhook_deliveries d join webhook_events e on e.id = d.event_id where d.id in (select value from json_each(?)) order by d.id`).all(j));
time('delivered', () => db.prepare(`update webhook_deliveries set status = 'delivered', attempts = attempts + 1, lease_until = null, last_status = 204, last_error = null, first_attempt_at = coalesce(first_attempt_at, ?) where id in (select value from json_each(?))`).run(now, j));
}
console.log(db.prepare('explain query plan ' + heads.source).all('["http://x"]', { now: nowF, limit: 100 }).map(r => r.detail).join('\n'));
await store.close();

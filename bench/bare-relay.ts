/**
 * B1 — the bare relay: the limit of the Socket.IO stack. Speaks Parley's event subset (join-room,
 * accept-room, message with ack, typing) with the same payload and notice shapes (SPEC §4–§5), but
 * with no validation, no auth, no rate limits and no storage. Run: `PORT=3399 tsx bench/bare-relay.ts`.
 */
import { createServer } from 'node:http';
import { Server, type Namespace, type Socket } from 'socket.io';
import type { Room } from '../src/protocol/index.js';
import { fastMonotonicFactory as monotonicFactory } from './lib/fast-ulid.js';

type Ack = (answer: unknown) => void;
type Payload = Record<string, unknown>;

const nextId = monotonicFactory();
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const noop: Ack = () => {};

function userOf(socket: Socket): string {
  const q = socket.handshake.query;
  return str(q.customerID || q.vendorID || q.userId);
}

function attach(nsp: Namespace): void {
  const rooms = new Map<string, Room>();
  const activeRooms = new Map<string, Set<string>>();
  const activate = (user: string, token: string) => {
    let set = activeRooms.get(user);
    if (!set) activeRooms.set(user, (set = new Set()));
    set.add(token);
    nsp.in(`u:${user}`).socketsJoin(`r:${token}`);
  };

  nsp.on('connection', (socket) => {
    const me = userOf(socket);
    void socket.join(`u:${me}`);
    for (const token of activeRooms.get(me) ?? []) void socket.join(`r:${token}`);

    socket.on('join-room', (p: Payload = {}, ack: Ack = noop) => {
      const token = str(p.roomToken);
      let room = rooms.get(token);
      if (!room) {
        const createdAt = new Date().toISOString();
        const [customerID, vendorID] = [str(p.customerID), str(p.vendorID)];
        room = { _id: nextId(), roomID: str(p.roomID ?? p.roomId ?? token), roomToken: token, customerID, vendorID, createdBy: me, status: 'pending', createdAt };
        rooms.set(token, room);
        const other = me === customerID ? vendorID : customerID;
        nsp.to(`u:${other}`).emit('join-room', { success: true, data: { room } });
      }
      ack({ success: true, data: { room } });
    });

    socket.on('accept-room', (p: Payload = {}, ack: Ack = noop) => {
      const room = rooms.get(str(p.roomToken));
      if (!room) return ack({ success: false, error: { code: 'not_found', message: 'no such room' } });
      const first = room.status === 'pending';
      room.status = 'active';
      const answer = { success: true, data: { room } };
      ack(answer);
      if (!first) return;
      socket.emit('accept-room', answer);
      nsp.to(`u:${room.createdBy}`).emit('joined', answer);
      activate(room.customerID, room.roomToken);
      activate(room.vendorID, room.roomToken);
    });

    socket.on('message', (p: Payload = {}, ack: Ack = noop) => {
      const room = rooms.get(str(p.roomToken));
      if (!room) return ack({ success: false, error: { code: 'not_found', message: 'no such room' } });
      const _id = nextId();
      const message = {
        _id,
        message: str(p.message),
        message_type: str(p.type || 'text'),
        senderId: me,
        receiverId: me === room.customerID ? room.vendorID : room.customerID,
        room_id: room._id,
        roomToken: room.roomToken,
        ...(p.clientMsgId === undefined ? {} : { clientMsgId: str(p.clientMsgId) }),
        dt: new Date().toISOString(),
      };
      ack({ success: true, data: { message } });
      nsp.to(`r:${room.roomToken}`).emit('message', message);
    });

    socket.on('typing', (p: Payload = {}, ack: Ack = noop) => {
      const token = str(p.roomToken);
      nsp.to(`r:${token}`).except(`u:${me}`).emit('typing', { success: true, typing: true, roomToken: token, userId: me });
      ack({ success: true });
    });
  });
}

const http = createServer((req, res) => {
  const ok = req.url === '/readyz' || req.url === '/healthz';
  res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok }));
});
const io = new Server(http, { transports: ['websocket'], maxHttpBufferSize: 64 * 1024 });
for (const name of ['customer', 'artisans']) attach(io.of(`/${name}`));

const port = Number(process.env.PORT ?? 3399);
const host = process.env.HOST ?? '127.0.0.1';
http.listen(port, host, () => console.log(`bare relay listening on ${host}:${port}`));
const shutdown = () => void io.close(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

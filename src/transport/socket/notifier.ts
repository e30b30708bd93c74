import type { Namespace } from 'socket.io';
import {
  PrivateNotice,
  ServerEvent,
  type ClientToServerEvents,
  type Message,
  type ReadNotice,
  type Room,
  type ServerToClientEvents,
} from '../../protocol/index.js';

export type ParleyNamespace = Namespace<ClientToServerEvents, ServerToClientEvents>;

/** Every socket of a user joins this Socket.IO room; it works across nodes through the adapter. */
export function userRoom(userId: string): string {
  return `user:${userId}`;
}

/** Server → user notices. Addressing by user room reaches every device of the user on every node. */
export class Notifier {
  constructor(private readonly nsp: ParleyNamespace) {}

  roomRequested(counterpart: string, room: Room): void {
    this.nsp.to(userRoom(counterpart)).emit(ServerEvent.JoinRoom, { success: true, data: { room } });
  }

  roomAccepted(acceptor: string, room: Room): void {
    this.nsp.to(userRoom(acceptor)).emit(ServerEvent.AcceptRoom, { success: true, data: { room } });
    this.nsp.to(userRoom(room.createdBy)).emit(ServerEvent.Joined, { success: true, data: { room } });
  }

  roomDeclined(room: Room): void {
    this.nsp.to([userRoom(room.customerID), userRoom(room.vendorID)]).emit(ServerEvent.DeclineRoom, { success: true, data: { room } });
  }

  /** To sender and receiver; a system message (no receiver) goes to `members`, the room's two members. */
  message(message: Message, members?: readonly string[]): void {
    const to = members ?? [message.senderId, message.receiverId ?? message.senderId];
    this.nsp.to(to.map(userRoom)).emit(ServerEvent.Message, message);
  }

  typing(to: string, roomToken: string, userId: string): void {
    this.nsp.to(userRoom(to)).emit(ServerEvent.Typing, { success: true, typing: true, roomToken, userId });
  }

  read(to: string, notice: ReadNotice): void {
    this.nsp.to(userRoom(to)).emit(ServerEvent.Read, notice);
  }

  /** The platform activated the room: both members get `joined`. */
  roomActivated(room: Room): void {
    this.nsp.to([userRoom(room.customerID), userRoom(room.vendorID)]).emit(ServerEvent.Joined, { success: true, data: { room } });
  }

  roomClosed(room: Room): void {
    this.nsp.to([userRoom(room.customerID), userRoom(room.vendorID)]).emit(ServerEvent.RoomClosed, { success: true, data: { room } });
  }

  /** Tells every socket of the user, on every node, that it is banned, then cuts them (through the adapter). */
  banned(userId: string, message: string): void {
    this.nsp.to(userRoom(userId)).emit(ServerEvent.Private, {
      event: PrivateNotice.Banned,
      success: false,
      error: { code: 'forbidden', message },
    });
    this.nsp.in(userRoom(userId)).disconnectSockets(true);
  }

  /** `online`/`offline` of `subject`, to each of `audience` (never to the subject itself). */
  presence(subject: string, state: 'online' | 'offline', audience: readonly string[]): void {
    const rooms = audience.filter((id) => id !== subject).map(userRoom);
    if (rooms.length === 0) return;
    const event = state === 'online' ? PrivateNotice.Online : PrivateNotice.Offline;
    this.nsp.to(rooms).emit(ServerEvent.Private, { event, success: true, userId: subject });
  }
}

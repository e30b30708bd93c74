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

  message(message: Message): void {
    this.nsp.to([userRoom(message.senderId), userRoom(message.receiverId)]).emit(ServerEvent.Message, message);
  }

  /** §13: an edited, deleted or reacted-to message, to every socket of both members. */
  messageUpdated(message: Message): void {
    this.nsp.to([userRoom(message.senderId), userRoom(message.receiverId)]).emit(ServerEvent.MessageUpdated, message);
  }

  typing(to: string, roomToken: string, userId: string): void {
    this.nsp.to(userRoom(to)).emit(ServerEvent.Typing, { success: true, typing: true, roomToken, userId });
  }

  read(to: string, notice: ReadNotice): void {
    this.nsp.to(userRoom(to)).emit(ServerEvent.Read, notice);
  }

  /** `online`/`offline` of `subject`, to each of `audience` (never to the subject itself). */
  presence(subject: string, state: 'online' | 'offline', audience: readonly string[]): void {
    const rooms = audience.filter((id) => id !== subject).map(userRoom);
    if (rooms.length === 0) return;
    const event = state === 'online' ? PrivateNotice.Online : PrivateNotice.Offline;
    this.nsp.to(rooms).emit(ServerEvent.Private, { event, success: true, userId: subject });
  }
}

/** Every Socket.IO event name Parley uses. No other module spells an event name. */
export const ClientEvent = {
  JoinRoom: 'join-room',
  AcceptRoom: 'accept-room',
  Message: 'message',
  Typing: 'typing',
  Read: 'read',
  Sync: 'sync',
  /** The non-creator of a pending room turns the request down; the room is deleted. */
  DeclineRoom: 'decline-room',
} as const;
export type ClientEventName = (typeof ClientEvent)[keyof typeof ClientEvent];

export const ServerEvent = {
  Private: 'private',
  JoinRoom: 'join-room',
  AcceptRoom: 'accept-room',
  Joined: 'joined',
  Message: 'message',
  Typing: 'typing',
  Read: 'read',
  DeclineRoom: 'decline-room',
  /** The platform closed a room (both members). */
  RoomClosed: 'room-closed',
} as const;
export type ServerEventName = (typeof ServerEvent)[keyof typeof ServerEvent];

/** Values of `event` inside a `private` notice (besides failed client event names). */
export const PrivateNotice = {
  ListRoom: 'list-room',
  ListOnlineUser: 'list-online-user',
  Online: 'online',
  Offline: 'offline',
  /** The platform banned the user: sent with `success: false` (code `forbidden`) right before the socket is cut. */
  Banned: 'banned',
} as const;

/** Messages between the nodes of a cluster (Socket.IO serverSideEmit), never seen by clients. */
export const NodeEvent = {
  /** A room's status changed elsewhere: forget what this node cached about it. Payload: roomToken. */
  RoomChanged: 'parley:room-changed',
} as const;
export type PrivateNoticeName = (typeof PrivateNotice)[keyof typeof PrivateNotice];

const clientEventNames: ReadonlySet<string> = new Set(Object.values(ClientEvent));
export function isClientEvent(name: string): name is ClientEventName {
  return clientEventNames.has(name);
}

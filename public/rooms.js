import { $, el, preview, shortTime } from './dom.js';

const activity = (room) => room.lastMessage?.dt ?? room.createdAt;

/** The room list: summaries from list-room, kept current by room, message, presence and read events. */
export class RoomList {
  constructor({ me, onOpen, onAccept }) {
    this.me = me;
    this.onOpen = onOpen;
    this.onAccept = onAccept;
    this.rooms = new Map();
    this.online = new Set();
    this.openToken = null;
  }

  counterpartOf(room) {
    return room.customerID === this.me ? room.vendorID : room.customerID;
  }

  get(roomToken) {
    return this.rooms.get(roomToken);
  }

  /** list-room: the server's view replaces ours (it arrives again after every reconnect). */
  reset(summaries) {
    const known = this.rooms;
    this.rooms = new Map();
    for (const summary of summaries) {
      const knownRead = known.get(summary.roomToken)?.theirRead ?? '';
      const server = summary.counterpart?.lastReadId ?? '';
      const theirRead = (knownRead > server ? knownRead : server) || null;
      this.rooms.set(summary.roomToken, { ...summary, lastMessage: summary.lastMessage ?? null, theirRead });
      if (summary.counterpart?.online) this.online.add(summary.counterpart.userId);
    }
    if (this.openToken && this.rooms.has(this.openToken)) this.rooms.get(this.openToken).unread = 0;
    this.render();
  }

  upsert(room) {
    const previous = this.rooms.get(room.roomToken) ?? { lastMessage: null, unread: 0, theirRead: null };
    const merged = { ...previous, ...room };
    this.rooms.set(room.roomToken, merged);
    this.render();
    return merged;
  }

  setOnline(userId, online) {
    if (online) this.online.add(userId);
    else this.online.delete(userId);
    this.render();
  }

  onMessage(message) {
    const room = this.rooms.get(message.roomToken);
    if (!room || (room.lastMessage && room.lastMessage._id >= message._id)) return;
    room.lastMessage = message;
    if (message.senderId !== this.me && this.openToken !== message.roomToken) room.unread = (room.unread ?? 0) + 1;
    this.render();
  }

  /** A receipt from the counterpart: everything up to messageId is read. */
  onRead(notice) {
    const room = this.rooms.get(notice.roomToken);
    if (room && notice.userId !== this.me && (room.theirRead ?? '') < notice.messageId) room.theirRead = notice.messageId;
  }

  markOpened(roomToken) {
    this.openToken = roomToken;
    const room = this.rooms.get(roomToken);
    if (room) room.unread = 0;
    this.render();
  }

  sorted() {
    return [...this.rooms.values()].sort((a, b) => activity(b).localeCompare(activity(a)) || b._id.localeCompare(a._id));
  }

  render() {
    const list = $('#rooms');
    const rooms = this.sorted();
    list.replaceChildren(...rooms.map((room) => this.item(room)));
    $('#rooms-empty').hidden = rooms.length > 0;
  }

  item(room) {
    const other = this.counterpartOf(room);
    const online = this.online.has(other);
    const pending = room.status === 'pending';
    const canAccept = pending && room.createdBy !== this.me;
    return el(
      'li',
      { class: `room${room.roomToken === this.openToken ? ' open' : ''}${pending ? ' pending' : ''}`, dataset: { token: room.roomToken } },
      el(
        'button',
        { type: 'button', class: 'room-main', onclick: () => this.onOpen(room.roomToken) },
        el('span', { class: 'avatar' }, other.slice(0, 2).toUpperCase(), el('span', { class: `dot${online ? ' online' : ''}`, title: online ? 'online' : 'offline' })),
        el(
          'span',
          { class: 'room-text' },
          el('span', { class: 'room-name' }, el('span', { class: 'room-who' }, other), el('span', { class: 'room-token' }, `#${room.roomToken}`)),
          el('span', { class: 'room-preview' }, pending ? (canAccept ? 'Wants to chat with you' : `Waiting for ${other} to accept`) : preview(room.lastMessage)),
        ),
        el(
          'span',
          { class: 'room-meta' },
          el('time', {}, shortTime(activity(room))),
          room.unread > 0 ? el('span', { class: 'badge', title: `${room.unread} unread` }, String(room.unread)) : null,
        ),
      ),
      canAccept ? el('button', { type: 'button', class: 'accept', onclick: () => this.onAccept(room.roomToken) }, 'Accept') : null,
    );
  }
}

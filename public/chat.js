import { newClientMsgId } from '/sdk/client/index.js';
import { $, el, safeUrl, shortTime, toast } from './dom.js';
import { MessageExtras } from './lifecycle.js';

const PAGE = 20;
const TYPING_SHOWN_MS = 500; // SPEC §5: clients show typing for 500 ms
const TYPING_EVERY_MS = 400;
const FILL_PAGES = 5;

/** The open conversation: history (cursor paging on scroll), live messages, typing, read ticks, composer. */
export class ChatView {
  constructor({ client, me, rooms, onAccept }) {
    this.client = client;
    this.onAccept = onAccept;
    this.me = me;
    this.rooms = rooms;
    this.token = null;
    this.ids = [];
    this.hasOlder = false;
    this.loading = false;
    this.lastMarked = '';
    this.lastTypingSent = 0;
    this.typingTimer = undefined;
    this.atBottom = true;
    this.extras = new MessageExtras({ client, me, rooms, chat: this });
    this.bind();
  }

  bind() {
    const scroller = $('#scroller');
    scroller.onscroll = () => {
      this.atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
      if (scroller.scrollTop < 80) void this.loadOlder();
    };
    $('#composer').onsubmit = (event) => {
      event.preventDefault();
      this.submit();
    };
    $('#composer [name=message]').oninput = () => this.sendTyping();
    $('#pending-accept').onclick = () => this.token && this.onAccept(this.token);
    $('#chat-back').onclick = () => ($('#app').dataset.view = 'rooms');
  }

  async open(roomToken) {
    const room = this.rooms.get(roomToken);
    if (!room) return;
    this.token = roomToken;
    $('#app').dataset.view = 'chat'; // on a phone the conversation takes the screen
    this.ids = [];
    this.hasOlder = false;
    this.lastMarked = '';
    $('#messages').replaceChildren();
    this.hideTyping();
    this.rooms.markOpened(roomToken);
    this.renderHead();
    if (room.status !== 'active') return this.setMarker('');
    this.loading = true;
    try {
      const page = await this.client.history({ roomToken, page: 1, limit: PAGE });
      if (this.token !== roomToken) return;
      this.hasOlder = page.total > page.messages.length;
      this.insert(page.messages.reverse(), 'bottom');
    } catch (err) {
      toast(err.message);
    } finally {
      this.loading = false;
    }
    await this.fillViewport();
    this.markRead();
  }

  /** Loads older pages until the list scrolls (so scrolling up can load more) or the beginning is reached. */
  async fillViewport() {
    const scroller = $('#scroller');
    for (let i = 0; i < FILL_PAGES && this.hasOlder && scroller.scrollHeight <= scroller.clientHeight; i++) {
      await this.loadOlder();
    }
  }

  async loadOlder() {
    if (this.loading || !this.hasOlder || this.ids.length === 0) return;
    const roomToken = this.token;
    this.loading = true;
    this.setMarker('Loading older messages…');
    try {
      const page = await this.client.history({ roomToken, before: this.ids[0], limit: PAGE });
      if (this.token !== roomToken) return;
      this.hasOlder = page.nextCursor !== null;
      this.insert(page.messages.reverse(), 'top');
    } catch (err) {
      toast(err.message);
    } finally {
      this.loading = false;
      this.setMarker();
    }
  }

  setMarker(text) {
    const room = this.rooms.get(this.token);
    const fallback = room?.status === 'active' && !this.hasOlder ? 'This is the beginning of your conversation.' : '';
    $('#history-marker').textContent = text ?? fallback;
  }

  /** Adds messages (oldest first). 'top' keeps the reader's place; 'bottom' follows the conversation. */
  insert(messages, where) {
    const scroller = $('#scroller');
    const fromBottom = scroller.scrollHeight - scroller.scrollTop;
    const atBottom = fromBottom - scroller.clientHeight < 60;
    const fresh = messages.filter((m) => !this.ids.includes(m._id));
    const nodes = fresh.map((m) => this.bubble(m));
    if (where === 'top') $('#messages').prepend(...nodes);
    else for (const [i, node] of nodes.entries()) this.place(fresh[i], node);
    this.ids = [...new Set([...this.ids, ...fresh.map((m) => m._id)])].sort();
    this.setMarker();
    if (where === 'top') scroller.scrollTop = scroller.scrollHeight - fromBottom;
    else if (atBottom || fresh.some((m) => m.senderId === this.me)) this.scrollToBottom();
  }

  scrollToBottom() {
    const scroller = $('#scroller');
    scroller.scrollTop = scroller.scrollHeight;
    this.atBottom = true;
  }

  /** Puts a live message in id order, replacing its pending bubble when it is ours. */
  place(message, node) {
    const list = $('#messages');
    const pending = message.clientMsgId && list.querySelector(`li.pending[data-client-id="${CSS.escape(message.clientMsgId)}"]`);
    if (pending) return pending.replaceWith(node);
    const later = [...list.querySelectorAll('li[data-id]')].find((li) => li.dataset.id > message._id);
    if (later) later.before(node);
    else list.append(node);
  }

  bubble(message, pending = false) {
    const mine = message.senderId === this.me;
    const node = el(
      'li',
      {
        class: `msg ${mine ? 'mine' : 'theirs'}${pending ? ' pending' : ''}`,
        dataset: pending ? { clientId: message.clientMsgId } : { id: message._id },
      },
      el('div', { class: 'bubble' }, this.body(message)),
      el(
        'div',
        { class: 'msg-meta' },
        el('time', { datetime: message.dt ?? '' }, message.dt ? shortTime(message.dt) : 'sending…'),
        mine ? el('span', { class: 'tick', 'aria-label': 'sent' }, pending ? '○' : '✓') : null,
      ),
    );
    return pending ? node : this.extras.decorate(node, message);
  }

  /** An edited, deleted or reacted-to message: its bubble is rebuilt in place. */
  onMessageUpdated(message) {
    const li = message.roomToken === this.token && $(`#messages li[data-id="${CSS.escape(message._id)}"]`);
    if (!li) return;
    li.replaceWith(this.bubble(message));
    this.renderTicks();
  }

  body(message) {
    const url = message.message_type === 'text' ? undefined : safeUrl(message.message);
    // A picture grows the list when it loads: stay at the bottom if the reader was there.
    const onload = () => this.atBottom && this.scrollToBottom();
    if (message.message_type === 'image' && url) {
      // An uploaded photo shows its thumbnail and opens the full picture.
      const thumb = message.attachment?.thumbnailUrl && safeUrl(message.attachment.thumbnailUrl);
      const img = el('img', { src: thumb ?? url, alt: 'image', referrerpolicy: 'no-referrer', onload });
      return thumb ? el('a', { href: url, target: '_blank', rel: 'noopener', class: 'photo' }, img) : img;
    }
    if (message.message_type === 'vdo' && url) return el('video', { src: url, controls: true, preload: 'metadata', onloadedmetadata: onload });
    if (message.message_type === 'audio' && url) return el('audio', { src: url, controls: true, preload: 'metadata' });
    return el('p', { class: 'text' }, message.message);
  }

  /** ✓ sent, ✓✓ read: our messages up to the counterpart's last receipt. */
  renderTicks() {
    const theirRead = this.rooms.get(this.token)?.theirRead ?? '';
    for (const li of document.querySelectorAll('#messages li.mine[data-id]')) {
      const read = li.dataset.id <= theirRead;
      const tick = li.querySelector('.tick');
      tick.textContent = read ? '✓✓' : '✓';
      tick.classList.toggle('read', read);
      tick.setAttribute('aria-label', read ? 'read' : 'sent');
    }
  }

  renderHead() {
    const room = this.rooms.get(this.token);
    if (!room) return;
    const other = this.rooms.counterpartOf(room);
    const online = this.rooms.online.has(other);
    $('#chat').dataset.state = room.status;
    $('#chat-title').textContent = other;
    $('#chat-sub').textContent = `#${room.roomToken} · ${room.status === 'active' ? (online ? 'online' : 'offline') : 'pending'}`;
    $('#chat-dot').className = `dot${online ? ' online' : ''}`;
    this.extras.renderHead(room);
    const waiting = room.createdBy === this.me ? `Waiting for ${other} to accept this conversation.` : `${other} wants to chat with you.`;
    $('#pending-note').textContent = room.status === 'pending' ? waiting : '';
    $('#pending-accept').hidden = room.status !== 'pending' || room.createdBy === this.me;
    for (const control of $('#composer').elements) control.disabled = room.status !== 'active';
    this.renderTicks();
  }

  submit() {
    const form = $('#composer');
    const text = form.elements.message.value;
    const type = form.elements.type.value;
    if (!this.token || text.trim() === '') return;
    const payload = { roomToken: this.token, message: type === 'text' ? text : text.trim(), type, clientMsgId: newClientMsgId() };
    form.elements.message.value = '';
    if (this.extras.beforeSend(payload)) return;
    // The next message starts a new burst of typing: announce it at once, not after the throttle window.
    this.lastTypingSent = 0;
    const draft = { ...payload, message_type: type, senderId: this.me, _id: '' };
    $('#messages').append(this.bubble(draft, true));
    this.scrollToBottom();
    this.deliver(payload);
  }

  /** Sends (or resends, with the same clientMsgId: stored once) the message of a pending bubble. */
  deliver(payload) {
    const pending = () => document.querySelector(`li.pending[data-client-id="${CSS.escape(payload.clientMsgId)}"]`);
    const meta = pending()?.querySelector('.msg-meta');
    pending()?.classList.remove('failed');
    meta?.replaceChildren(el('time', {}, 'sending…'), el('span', { class: 'tick', 'aria-label': 'sending' }, '○'));
    this.client.send(payload).then(
      ({ message }) => this.onMessage(message),
      (err) => {
        const li = pending();
        if (!li) return;
        li.classList.add('failed');
        li.querySelector('.msg-meta').replaceChildren(
          el('span', { class: 'failed-label' }, 'failed'),
          el('button', { type: 'button', class: 'retry', onclick: () => this.deliver(payload) }, 'Retry'),
        );
        toast(`Not sent: ${err.message}`);
      },
    );
  }

  sendTyping() {
    const now = Date.now();
    if (!this.token || now - this.lastTypingSent < TYPING_EVERY_MS) return;
    this.lastTypingSent = now;
    this.client.typing({ roomToken: this.token }).catch(() => {});
  }

  onMessage(message) {
    if (message.roomToken !== this.token || this.ids.includes(message._id)) return;
    this.insert([message], 'bottom');
    if (message.senderId !== this.me) this.hideTyping();
    this.renderTicks();
    this.markRead();
  }

  /** Tells the counterpart we read up to their newest message (once per message). */
  markRead() {
    const newest = [...$('#messages').querySelectorAll('li.theirs[data-id]')].at(-1)?.dataset.id;
    if (!newest || newest <= this.lastMarked || document.visibilityState === 'hidden') return;
    this.lastMarked = newest;
    this.client.markRead({ roomToken: this.token, messageId: newest }).catch((err) => toast(err.message));
  }

  onTyping(notice) {
    if (notice.roomToken !== this.token || notice.userId === this.me) return;
    const node = $('#typing');
    node.textContent = `${notice.userId} is typing…`;
    node.classList.add('on');
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.hideTyping(), TYPING_SHOWN_MS);
  }

  hideTyping() {
    clearTimeout(this.typingTimer);
    $('#typing').classList.remove('on');
  }

  onRead(notice) {
    if (notice.roomToken === this.token) this.renderTicks();
  }

  onRoomChanged(room) {
    if (room.roomToken !== this.token) return;
    const wasPending = $('#chat').dataset.state === 'pending';
    this.renderHead();
    if (wasPending && room.status === 'active') void this.open(room.roomToken);
  }
}

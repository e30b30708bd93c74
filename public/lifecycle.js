// Message lifecycle and moderation in the demo (replies, edits, deletes, reactions, block, report): kept apart
// from chat.js, which calls in through a few hooks. User text only goes through textContent (see dom.js).
import { $, el, toast } from './dom.js';

const QUICK_REACTIONS = ['👍', '❤️', '😂'];

export class MessageExtras {
  constructor({ client, me, rooms, chat }) {
    Object.assign(this, { client, me, rooms, chat });
    /** What the composer does next: a plain message, a reply, or an edit. */
    this.mode = null;
    this.messages = new Map();
    $('#compose-cancel').onclick = () => this.setMode(null);
    $('#block-toggle').onclick = () => this.toggleBlock();
    $('#report-room').onclick = () => this.report();
  }

  /** Adds the reply quote, the edited/deleted marks, reactions and actions to a message's <li>. */
  decorate(li, message) {
    if (!message._id) return li;
    this.messages.set(message._id, message);
    const mine = message.senderId === this.me;
    const bubble = li.querySelector('.bubble');
    if (message.deletedAt) {
      li.classList.add('deleted');
      bubble.replaceChildren(el('p', { class: 'text' }, 'This message was deleted.'));
    } else if (message.masked) {
      bubble.title = 'Contact details were hidden by the marketplace.';
    }
    if (message.replyTo) bubble.prepend(this.quote(message.replyTo));
    if (message.editedAt && !message.deletedAt) li.querySelector('.msg-meta').append(el('span', { class: 'edited' }, 'edited'));
    if (message.reactions) li.append(this.reactionChips(message));
    if (!message.deletedAt) li.append(this.actions(message, mine));
    return li;
  }

  quote(id) {
    const original = this.messages.get(id);
    const text = !original ? 'an earlier message' : original.deletedAt ? 'a deleted message' : original.message;
    return el('blockquote', { class: 'quote', dataset: { replyTo: id } }, text.length > 80 ? `${text.slice(0, 80)}…` : text);
  }

  reactionChips(message) {
    const chips = Object.entries(message.reactions).map(([emoji, users]) =>
      el(
        'button',
        { type: 'button', class: `chip${users.includes(this.me) ? ' on' : ''}`, dataset: { emoji }, onclick: () => this.react(message, emoji) },
        `${emoji} ${users.length}`,
      ),
    );
    return el('div', { class: 'reactions' }, ...chips);
  }

  actions(message, mine) {
    const button = (label, action, onclick) => el('button', { type: 'button', dataset: { action }, onclick }, label);
    const buttons = [
      button('Reply', 'reply', () => this.setMode({ kind: 'reply', message })),
      ...QUICK_REACTIONS.map((emoji) => button(emoji, `react-${emoji}`, () => this.react(message, emoji))),
    ];
    if (mine && message.message_type === 'text') buttons.push(button('Edit', 'edit', () => this.setMode({ kind: 'edit', message })));
    if (mine) buttons.push(button('Delete', 'delete', () => this.remove(message)));
    else buttons.push(button('Report', 'report', () => this.report(message)));
    return el('div', { class: 'msg-actions' }, ...buttons);
  }

  setMode(mode) {
    this.mode = mode;
    const bar = $('#compose-mode');
    bar.hidden = mode === null;
    const input = $('#composer [name=message]');
    if (mode?.kind === 'edit') input.value = mode.message.message;
    $('#compose-label').textContent =
      mode === null ? '' : mode.kind === 'edit' ? 'Editing your message' : `Replying to: ${mode.message.message.slice(0, 60)}`;
    if (mode) input.focus();
  }

  /** Called by the composer: true when it handled the text (an edit); adds replyTo to a new message otherwise. */
  beforeSend(payload) {
    const mode = this.mode;
    this.setMode(null);
    if (mode?.kind === 'edit') {
      this.client
        .editMessage({ roomToken: mode.message.roomToken, messageId: mode.message._id, message: payload.message })
        .then(({ message }) => this.chat.onMessageUpdated(message), (err) => toast(`Not edited: ${err.message}`));
      return true;
    }
    if (mode?.kind === 'reply') payload.replyTo = mode.message._id;
    return false;
  }

  react(message, emoji) {
    const on = !(message.reactions?.[emoji] ?? []).includes(this.me);
    this.client
      .react({ roomToken: message.roomToken, messageId: message._id, emoji, on })
      .then(({ message: updated }) => this.chat.onMessageUpdated(updated), (err) => toast(err.message));
  }

  remove(message) {
    this.client
      .deleteMessage({ roomToken: message.roomToken, messageId: message._id })
      .then(({ message: updated }) => this.chat.onMessageUpdated(updated), (err) => toast(err.message));
  }

  report(message) {
    const roomToken = message?.roomToken ?? this.chat.token;
    if (!roomToken) return;
    const reason = window.prompt(message ? 'Why are you reporting this message?' : 'Why are you reporting this conversation?');
    if (!reason?.trim()) return;
    this.client
      .report({ roomToken, reason: reason.trim(), ...(message ? { messageId: message._id } : {}) })
      .then(() => toast('Thanks — the report was sent to the moderators.'), (err) => toast(err.message));
  }

  toggleBlock() {
    const room = this.rooms.get(this.chat.token);
    if (!room) return;
    const other = this.rooms.counterpartOf(room);
    const blocking = !room.blocked;
    (blocking ? this.client.blockUser(other) : this.client.unblockUser(other)).then(() => {
      if (blocking) room.blocked = true;
      else delete room.blocked;
      this.renderHead(room);
      toast(blocking ? `${other} is blocked.` : `${other} is unblocked.`);
    }, (err) => toast(err.message));
  }

  renderHead(room) {
    const button = $('#block-toggle');
    button.hidden = !room;
    $('#report-room').hidden = !room;
    if (room) button.textContent = room.blocked ? 'Unblock' : 'Block';
  }
}

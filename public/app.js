// The demo client: plain ES modules on top of the Parley SDK (its browser bundle, served at /sdk/client/index.js).
import { createParleyClient } from '/sdk/client/index.js';
import { bindAttach } from './attach.js';
import { ChatView } from './chat.js';
import { $, jwtSubject, toast } from './dom.js';
import { RoomList } from './rooms.js';

let session;

function prefill() {
  const params = new URLSearchParams(location.search);
  const form = $('#login');
  for (const name of ['namespace', 'userId', 'token']) if (params.has(name)) form.elements[name].value = params.get(name);
}

function setStatus(state, text) {
  const node = $('#status');
  node.dataset.state = state;
  node.textContent = text;
}

function connect(event) {
  event.preventDefault();
  const form = $('#login').elements;
  const namespace = form.namespace.value.trim();
  const token = form.token.value.trim();
  const userId = form.userId.value.trim();
  const me = token ? jwtSubject(token) : userId;
  if (!namespace || !me) return toast(token ? 'That token has no readable sub.' : 'Enter a user id (or paste a token).');
  session?.client.close();
  const client = createParleyClient({ url: location.origin, namespace, ...(token ? { token } : { userId }) });
  session = startSession(client, me, namespace);
}

function startSession(client, me, namespace) {
  const rooms = new RoomList({ me, onOpen: (token) => chat.open(token), onAccept: (token) => accept(token) });
  const chat = new ChatView({ client, me, rooms, onAccept: (token) => accept(token) });
  const current = { client, me, rooms, chat };
  bindAttach({ client, chat });
  const accept = (roomToken) =>
    client.acceptRoom({ roomToken }).then(({ room }) => {
      rooms.upsert(room);
      return chat.open(roomToken);
    }, (err) => toast(err.message));

  $('#app').hidden = false;
  $('#app').dataset.view = 'rooms';
  // Signed in: the sign-in bar folds away (Switch user brings it back) and the conversation gets the screen.
  document.body.dataset.session = 'on';
  $('#switch-user').hidden = false;
  $('#me').textContent = `${me} · ${namespace}`;
  $('#chat').dataset.state = 'empty';
  rooms.render();
  setStatus('connecting', 'connecting…');
  client.onConnection((state) => onConnection(current, state));
  client.onFailure((event, err) => toast(`${event}: ${err.message}`));
  client.onNotice('list-room', ({ data }) => {
    rooms.reset(data.rooms);
    chat.renderHead();
  });
  client.onNotice('list-online-user', ({ data }) => data.users.forEach((id) => rooms.setOnline(id, true)));
  client.onNotice('online', ({ userId }) => presence(current, userId, true));
  client.onNotice('offline', ({ userId }) => presence(current, userId, false));
  client.on('join-room', ({ data }) => rooms.upsert(data.room));
  for (const event of ['accept-room', 'joined']) client.on(event, ({ data }) => chat.onRoomChanged(rooms.upsert(data.room)));
  client.on('message', (message) => {
    rooms.onMessage(message);
    chat.onMessage(message);
  });
  client.on('message-updated', (message) => chat.onMessageUpdated(message));
  client.on('typing', (notice) => chat.onTyping(notice));
  client.on('read', (notice) => {
    rooms.onRead(notice);
    chat.onRead(notice);
  });
  return current;
}

function presence({ rooms, chat }, userId, online) {
  rooms.setOnline(userId, online);
  chat.renderHead();
}

function onConnection(current, state) {
  if (current !== session) return;
  if (state.status === 'connected') {
    // Messages missed while disconnected arrive through client.on('message'): the SDK syncs after a reconnect.
    setStatus('online', 'connected');
  } else if (state.status === 'disconnected') {
    setStatus('connecting', 'reconnecting…');
  } else {
    setStatus('offline', 'refused');
    toast(`Connection refused (${state.code}): ${state.message}`);
  }
}

function newRoom(event) {
  event.preventDefault();
  if (!session) return;
  const form = $('#new-room').elements;
  const other = form.counterpart.value.trim();
  const roomToken = form.roomToken.value.trim();
  const { client, me, rooms, chat } = session;
  const pair = form.role.value === 'customer' ? { customerID: me, vendorID: other } : { customerID: other, vendorID: me };
  client.joinRoom({ ...pair, roomToken }).then(({ room }) => {
    rooms.upsert(room);
    $('#new-room').reset();
    return chat.open(room.roomToken);
  }, (err) => toast(err.message));
}

prefill();
$('#login').addEventListener('submit', connect);
$('#switch-user').addEventListener('click', () => (document.body.dataset.session = 'switching'));
$('#new-room').addEventListener('submit', newRoom);

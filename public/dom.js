// DOM helpers. User text only ever goes through textContent or attribute setters, never innerHTML.

/** el('li', { class: 'room', dataset: { token } }, child, 'text') */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children.filter((c) => c !== undefined && c !== null && c !== false));
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Only http(s) URLs become a src; anything else is shown as text. */
export function safeUrl(value) {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export function shortTime(iso) {
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

/** A short line for a message in the room list. */
export function preview(message) {
  if (!message) return 'No messages yet';
  const labels = { image: 'Photo', vdo: 'Video', audio: 'Voice message' };
  return labels[message.message_type] ?? message.message;
}

let toastTimer;
export function toast(text) {
  const node = $('#toast');
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (node.hidden = true), 4000);
}

/** The `sub` of a JWT, to know who "me" is in jwt mode (display only; the server decides). */
export function jwtSubject(token) {
  try {
    const part = token.replace(/^Bearer /, '').split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const sub = JSON.parse(atob(part)).sub;
    return sub === undefined ? undefined : String(sub);
  } catch {
    return undefined;
  }
}

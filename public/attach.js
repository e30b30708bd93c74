// Attaching a file in the demo: upload it with the SDK, then send it as a media message by attachmentId.
import { $, toast } from './dom.js';

/** Wires the composer's file input to the open conversation of `chat`. */
export function bindAttach({ client, chat }) {
  const input = $('#composer [name=file]');
  const button = input.closest('.attach');
  input.onchange = async () => {
    const file = input.files?.[0];
    input.value = '';
    const roomToken = chat.token;
    if (!file || !roomToken) return;
    button.setAttribute('aria-busy', 'true');
    try {
      const attachment = await client.upload(file);
      const { message } = await client.sendAttachment(attachment, { roomToken });
      chat.onMessage(message);
    } catch (err) {
      toast(`Not sent: ${err.message}`);
    } finally {
      button.removeAttribute('aria-busy');
    }
  };
}

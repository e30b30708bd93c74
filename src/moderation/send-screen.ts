import { ParleyError, type Actor, type MessageType, type Room } from '../protocol/index.js';
import type { LifecycleRepository } from '../store/kysely-lifecycle.js';
import type { SendPolicyRepository } from '../store/kysely-moderation.js';
import type { ContactMasker } from './contact-masker.js';

export interface ScreenedText {
  message: string;
  masked?: true;
  /** The text as sent, when masking changed it: for the platform only. */
  original?: string;
}

export interface SendExtras extends ScreenedText {
  replyTo?: string;
}

export function blockedError(): ParleyError {
  return new ParleyError('forbidden', 'The other member has blocked you: you cannot write to them.');
}

/**
 * What §13 adds to sending: a blocked sender is refused (nothing is stored), `replyTo` must name a message of
 * the room, and contact details are masked where the room (or, by default, the configuration) asks for it.
 */
export class SendScreen {
  constructor(
    private readonly policy: SendPolicyRepository,
    private readonly lifecycle: LifecycleRepository,
    private readonly masker: ContactMasker,
    private readonly maskByDefault: boolean,
  ) {}

  /** For `message`: after the room rules, before anything is stored. */
  async message(actor: Actor, room: Room, receiverId: string, payload: { message: string; type: MessageType; replyTo?: string | undefined }): Promise<SendExtras> {
    const screened = await this.text(actor, room, receiverId, payload.message, payload.type);
    if (payload.replyTo === undefined) return screened;
    if (!(await this.lifecycle.find(room._id, payload.replyTo))) {
      throw new ParleyError('not_found', `replyTo: no message "${payload.replyTo}" in this room.`);
    }
    return { ...screened, replyTo: payload.replyTo };
  }

  /** Refuses a blocked sender and masks the text (text messages only). */
  async text(actor: Actor, room: Room, receiverId: string, text: string, type: MessageType): Promise<ScreenedText> {
    const policy = await this.policy.policy(actor.namespace, room._id, receiverId, actor.userId);
    if (policy.blocked) throw blockedError();
    if (type !== 'text' || !(policy.contactMasking ?? this.maskByDefault)) return { message: text };
    const result = this.masker.mask(text);
    return result.masked ? { message: result.text, masked: true, original: text } : { message: text };
  }

  /** For `typing` and `react`: only the block matters. */
  async assertNotBlocked(actor: Actor, room: Room, receiverId: string): Promise<void> {
    const policy = await this.policy.policy(actor.namespace, room._id, receiverId, actor.userId);
    if (policy.blocked) throw blockedError();
  }
}

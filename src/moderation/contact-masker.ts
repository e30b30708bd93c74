import { find as findLinks } from 'linkifyjs';
import { findPhoneRuns, type Span } from './phone-runs.js';

export const MASK = '***';

export interface MaskResult {
  text: string;
  masked: boolean;
}

export interface MaskerOptions {
  /** Hosts whose links stay; a domain also allows its subdomains. */
  allowedLinkDomains: readonly string[];
}

const TLD =
  '(?:com|net|org|info|biz|io|co|me|app|dev|shop|store|online|site|xyz|de|fr|uk|es|it|nl|be|ch|at|pl|pt|ru|se|no|dk|fi|ie|us|ca|au|in|br|mx|ar|jp|cn|eu|tv|ly|gg)';
const WORD_DOT = String.raw`(?:\s*[(\[{<]\s*(?:dot|punto|point|punkt)\s*[)\]}>]\s*|\s+(?:dot|punto|point|punkt)\s+|\s+\.\s+|\s*\(\.\)\s*|\s*\[\.\]\s*)`;
const ANY_DOT = String.raw`(?:\.|${WORD_DOT})`;
const MAIL_PROVIDERS =
  '(?:gmail|googlemail|yahoo|hotmail|outlook|live|msn|icloud|aol|gmx|proton|protonmail|yandex|mail|web|orange|free|libero|wanadoo|t-online)';
/** Where a disguised "@" may be: "@", " @ ", "(at)", "[at]", " at ". */
const AT = /\s*[@＠]\s*|\s*[(\[{<]\s*(?:at|arroba)\s*[)\]}>]\s*|\s+(?:at|arroba)\s+/giu;
const DOMAIN_AFTER_AT = new RegExp(
  String.raw`(?:[\p{L}\d-]+(?:${ANY_DOT}[\p{L}\d-]+)*${ANY_DOT}${TLD}(?![\p{L}\d])|${MAIL_PROVIDERS}(?![\p{L}\d]))`,
  'iuy',
);
const LOCAL_BEFORE_AT = new RegExp(String.raw`(?:[\p{L}\d._%+-]+${WORD_DOT})*[\p{L}\d._%+-]*[\p{L}\d]$`, 'u');
const DISGUISED_DOMAIN = new RegExp(
  String.raw`(?<![\p{L}\d])(?:www${ANY_DOT})?[\p{L}\d-]+(?:${ANY_DOT}[\p{L}\d-]+)*${WORD_DOT}${TLD}(?![\p{L}\d])`,
  'giu',
);
const LINKISH = /[@＠]|:\/\/|www\.|[\p{L}\d-]\.\p{L}{2}/u;
const HAS_DOT_WORD = /dot|punto|point|punkt|\(\.\)|\[\.\]|\s\.\s/i;
const CHUNK = /\S+/g;

/**
 * Contact masking (§13): e-mail addresses, phone numbers and links to hosts not allowed become `***`,
 * including the usual disguises. linkifyjs finds plain links and e-mails; the rules here find the rest.
 * Cheap tests keep the expensive searches to the few places that can hold a contact.
 */
export class ContactMasker {
  private readonly allowed: readonly string[];

  constructor(options: MaskerOptions) {
    this.allowed = options.allowedLinkDomains.map((d) => d.toLowerCase().replace(/^\.+|\.+$/g, ''));
  }

  mask(text: string): MaskResult {
    const spans = [...findPhoneRuns(text), ...this.links(text), ...disguisedEmails(text), ...this.disguisedDomains(text)];
    if (spans.length === 0) return { text, masked: false };
    return { text: replaceSpans(text, spans), masked: true };
  }

  /** Plain URLs and e-mails (linkifyjs), looked for only in the whitespace-separated chunks that can hold one. */
  private links(text: string): Span[] {
    if (!LINKISH.test(text)) return [];
    const spans: Span[] = [];
    CHUNK.lastIndex = 0;
    for (let chunk = CHUNK.exec(text); chunk !== null; chunk = CHUNK.exec(text)) {
      if (!LINKISH.test(chunk[0])) continue;
      for (const link of findLinks(chunk[0])) {
        if (link.type === 'url' && this.isAllowed(link.href)) continue;
        if (link.type !== 'url' && link.type !== 'email') continue;
        spans.push({ start: chunk.index + link.start, end: chunk.index + link.end });
      }
    }
    return spans;
  }

  private disguisedDomains(text: string): Span[] {
    if (!HAS_DOT_WORD.test(text)) return [];
    const spans: Span[] = [];
    DISGUISED_DOMAIN.lastIndex = 0;
    for (let m = DISGUISED_DOMAIN.exec(text); m !== null; m = DISGUISED_DOMAIN.exec(text)) {
      const host = m[0].replace(new RegExp(WORD_DOT, 'giu'), '.').toLowerCase();
      if (!this.isAllowed(`http://${host}`)) spans.push({ start: m.index, end: m.index + m[0].length });
    }
    return spans;
  }

  private isAllowed(href: string): boolean {
    let host: string;
    try {
      host = new URL(href).hostname.toLowerCase();
    } catch {
      return false;
    }
    return this.allowed.some((domain) => host === domain || host.endsWith(`.${domain}`));
  }
}

/** "john dot doe at gmail dot com", "jane(at)mail.de", "x @ yahoo": e-mails written around the filters. */
function disguisedEmails(text: string): Span[] {
  const spans: Span[] = [];
  AT.lastIndex = 0;
  for (let at = AT.exec(text); at !== null; at = AT.exec(text)) {
    DOMAIN_AFTER_AT.lastIndex = at.index + at[0].length;
    const domain = DOMAIN_AFTER_AT.exec(text);
    if (!domain) continue;
    const local = LOCAL_BEFORE_AT.exec(text.slice(Math.max(0, at.index - 80), at.index));
    if (!local) continue;
    spans.push({ start: at.index - local[0].length, end: DOMAIN_AFTER_AT.lastIndex });
    AT.lastIndex = DOMAIN_AFTER_AT.lastIndex;
  }
  return spans;
}

function replaceSpans(text: string, spans: Span[]): string {
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  for (const span of spans) {
    if (span.end <= at) continue;
    out += text.slice(at, Math.max(at, span.start)) + MASK;
    at = span.end;
  }
  return out + text.slice(at);
}

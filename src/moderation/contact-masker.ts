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
/** Where a disguised "@" may be: "@", "(at)", "[at]", " at " (spaces around are added by the caller). */
const AT = /[@＠]|[(\[{<]\s*(?:at|arroba)\s*[)\]}>]|(?<=\s)(?:at|arroba)(?=\s)/giu;
const isSpace = (char: string | undefined) => char !== undefined && /\s/.test(char);
const DOMAIN_AFTER_AT = new RegExp(
  String.raw`(?:[\p{L}\d-]+(?:${ANY_DOT}[\p{L}\d-]+)*${ANY_DOT}${TLD}(?![\p{L}\d])|${MAIL_PROVIDERS}(?![\p{L}\d]))`,
  'iuy',
);
const LOCAL_CHAR = /[\p{L}\d._%+-]/u;
const HOST_CHAR = /[\p{L}\d-]/u;
const ALNUM = /[\p{L}\d]/u;
/** A disguised dot right before a position (checked on a short slice). */
const DOT_BEFORE = new RegExp(String.raw`(?:${WORD_DOT}|\.)$`, 'iu');
/** The core of a disguised dot: "(dot)", " dot ", " . ", "(.)", "[.]" (spaces around are the caller's). */
const WORD_DOT_CORE = /[(\[{<]\s*(?:dot|punto|point|punkt)\s*[)\]}>]|(?<=\s)(?:dot|punto|point|punkt)(?=\s)|(?<=\s)\.(?=\s)|\(\.\)|\[\.\]/giu;
const WORD_DOT_ALL = new RegExp(WORD_DOT, 'giu');
const TLD_AFTER = new RegExp(String.raw`${TLD}(?![\p{L}\d])`, 'iuy');
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

  /** "mysite dot com", "shop(dot)de", "www . x . com": a disguised dot right before a top-level domain. */
  private disguisedDomains(text: string): Span[] {
    if (!HAS_DOT_WORD.test(text)) return [];
    const spans: Span[] = [];
    WORD_DOT_CORE.lastIndex = 0;
    for (let dot = WORD_DOT_CORE.exec(text); dot !== null; dot = WORD_DOT_CORE.exec(text)) {
      let start = dot.index;
      let end = dot.index + dot[0].length;
      while (isSpace(text[start - 1])) start -= 1;
      while (isSpace(text[end])) end += 1;
      TLD_AFTER.lastIndex = end;
      if (!TLD_AFTER.exec(text)) continue;
      const hostStart = chainStart(text, start, HOST_CHAR);
      if (hostStart === undefined) continue;
      const found = text.slice(hostStart, TLD_AFTER.lastIndex);
      const host = found.replace(WORD_DOT_ALL, '.').replace(/\s+/g, '').toLowerCase();
      if (!this.isAllowed(`http://${host}`)) spans.push({ start: hostStart, end: TLD_AFTER.lastIndex });
      WORD_DOT_CORE.lastIndex = TLD_AFTER.lastIndex;
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
    let start = at.index;
    let end = at.index + at[0].length;
    while (isSpace(text[start - 1])) start -= 1;
    while (isSpace(text[end])) end += 1;
    DOMAIN_AFTER_AT.lastIndex = end;
    const domain = DOMAIN_AFTER_AT.exec(text);
    if (!domain) continue;
    const localStart = ALNUM.test(text[start - 1] ?? '') ? chainStart(text, start, LOCAL_CHAR) : undefined;
    if (localStart === undefined) continue;
    spans.push({ start: localStart, end: DOMAIN_AFTER_AT.lastIndex });
    AT.lastIndex = DOMAIN_AFTER_AT.lastIndex;
  }
  return spans;
}

/**
 * Where a chain of `chars` runs joined by (disguised) dots ends, walking back from `end`: the local part of an
 * e-mail ("john dot doe") or a host ("www dot shop"). Undefined when no such character precedes `end`.
 */
function chainStart(text: string, end: number, chars: RegExp): number | undefined {
  let at = end;
  for (let links = 0; links < 8; links += 1) {
    let from = at;
    while (from > 0 && end - from < 80 && chars.test(text[from - 1]!)) from -= 1;
    if (from === at) return at === end ? undefined : at;
    at = from;
    const dot = DOT_BEFORE.exec(text.slice(Math.max(0, at - 12), at));
    if (!dot || !chars.test(text[at - dot[0].length - 1] ?? '')) return at;
    at -= dot[0].length;
  }
  return at;
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

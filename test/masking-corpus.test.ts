import { describe, expect, it } from 'vitest';
import { ContactMasker, MASK } from '../src/moderation/contact-masker.js';
import { readCorpus, scoreCorpus } from '../src/moderation/corpus-eval.js';

/** The labelled corpus as a regression gate: the documented figures may not fall below the targets. */
describe('contact masking corpus', () => {
  const masker = new ContactMasker({ allowedLinkDomains: ['parley.example'] });
  const lines = readCorpus('test/fixtures/masking-corpus.tsv');

  it('holds at least 300 labelled lines of both kinds', () => {
    expect(lines.length).toBeGreaterThanOrEqual(300);
    expect(lines.filter((l) => l.contact).length).toBeGreaterThanOrEqual(100);
    expect(lines.filter((l) => !l.contact).length).toBeGreaterThanOrEqual(100);
  });

  it('reaches recall ≥ 0.95 and precision ≥ 0.98', () => {
    const score = scoreCorpus(lines, masker);
    expect(score.falseNegatives.map((l) => l.text), 'missed contacts').toEqual(expect.any(Array));
    expect(score.recall).toBeGreaterThanOrEqual(0.95);
    expect(score.precision).toBeGreaterThanOrEqual(0.98);
  });

  it('leaves no digit of a masked phone number and replaces each contact by one mask', () => {
    expect(masker.mask('call 555 123 4567 or 555 765 4321 today').text).toBe(`call ${MASK} or ${MASK} today`);
    expect(masker.mask('a@b.co').text).toBe(MASK);
    expect(masker.mask('plain text').masked).toBe(false);
    expect(masker.mask('').masked).toBe(false);
  });

  it('allows links to the configured domains and their subdomains only', () => {
    const allowing = new ContactMasker({ allowedLinkDomains: ['shop.example'] });
    expect(allowing.mask('https://shop.example/a and https://cdn.shop.example/b').masked).toBe(false);
    expect(allowing.mask('https://evilshop.example/a').text).toBe(MASK);
    expect(allowing.mask('https://shop.example.evil.com/a').text).toBe(MASK);
  });
});

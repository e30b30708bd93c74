/** Prints the contact masker's precision and recall on the labelled corpus (`npm run masking:eval`). */
import { resolve } from 'node:path';
import { ContactMasker } from '../src/moderation/contact-masker.js';
import { readCorpus, scoreCorpus } from '../src/moderation/corpus-eval.js';

const path = resolve(process.argv[2] ?? 'test/fixtures/masking-corpus.tsv');
// The corpus assumes the marketplace allows links to itself only.
const masker = new ContactMasker({ allowedLinkDomains: ['parley.example'] });
const score = scoreCorpus(readCorpus(path), masker);
for (const line of score.falseNegatives) console.log(`missed      ${line.text}`);
for (const line of score.falsePositives) console.log(`over-masked ${line.text}`);
console.log(
  `lines ${score.lines}  contacts ${score.truePositives + score.falseNegatives.length}  ` +
    `precision ${score.precision.toFixed(4)}  recall ${score.recall.toFixed(4)}`,
);

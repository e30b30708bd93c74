/**
 * Micro-benchmark of contact masking on a 4,000-character message (not a test; run once:
 * `npm run bench:masking`). Prints the mean time per call for ordinary text and for text full of contacts.
 */
import { ContactMasker } from '../src/moderation/contact-masker.js';

const masker = new ContactMasker({ allowedLinkDomains: ['parley.example'] });
const ordinary =
  'Hi! Is the oak table still available? The price is $450, shipping 35 EUR, delivery 12.05.2024 at 10:30. ' +
  'It is 120 x 80 x 75 cm, order #123456, sizes 38 40 42. I am at home after 18:30, one or two chairs too. ';
const contacts =
  'Call me on 555 123 4567 or five five five one two three four, mail john dot doe at gmail dot com, ' +
  'see www.mypottery.com and jane(at)mail(dot)de; the price is $450 and delivery on 12.05.2024 at 10:30. ';

function sample(unit: string): string {
  return unit.repeat(Math.ceil(4000 / unit.length)).slice(0, 4000);
}

function measure(name: string, text: string): void {
  for (let i = 0; i < 2000; i += 1) masker.mask(text); // warm-up (JIT)
  const rounds = 5000;
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let i = 0; i < rounds; i += 1) masker.mask(text);
  const wall = Number(process.hrtime.bigint() - started) / rounds / 1e6;
  // CPU time as well: on a shared machine the wall clock also counts the time other processes ran.
  const used = process.cpuUsage(cpu);
  const onCpu = (used.user + used.system) / rounds / 1000;
  console.log(`${name.padEnd(10)} ${text.length} chars  ${wall.toFixed(4)} ms wall, ${onCpu.toFixed(4)} ms CPU per mask()`);
}

measure('ordinary', sample(ordinary));
measure('contacts', sample(contacts));

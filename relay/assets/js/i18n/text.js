// ---------------------------------------------------------------- texts
//
// One table per language. A key missing in `en` or `fr` falls back to `nl`. Keys used in
// index.html / privacy.html (data-i18n="key") hold the same Dutch text as the HTML, which
// is what the page shows before this script runs. The status sentences are the seed's.

import nl from './nl.js';
import en from './en.js';
import fr from './fr.js';

export const TEXT = { nl, en, fr };

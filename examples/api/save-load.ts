import { Fit } from '../../index.js';
import { fit } from './fit.js';

// fit.toJSON() is plain JSON; Fit.fromJSON(json) rebuilds the fit and gives the same answers.
const text = JSON.stringify(fit.toJSON());
const again = await Fit.fromJSON(JSON.parse(text));
console.log(again.query('P(p > 0.5)').kind, again.summary()['p']!.mean === fit.summary()['p']!.mean); // probability true

export const result = { bytes: text.length, same: JSON.stringify(again.summary()) === JSON.stringify(fit.summary()) };

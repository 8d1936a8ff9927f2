// The option table (inference/options.ts) is the one list of fit options: the API's defaults and
// checks, the flags of `tilde fit`, `tilde grad` and `tilde repl`, and the REPL's :set and its
// completion all come from it. Each test walks the table, so a new entry is covered as it lands.

import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { ESTIMATOR_DEFAULTS } from '../../inference/estimators/step.js';
import { compile, estimatorOptions, FIT_DEFAULTS } from '../../inference/model.js';
import { BACKEND_CHOICES, describeType, FIT_OPTIONS, kebab, optionsFor, type OptionSpec, type OptionType } from '../../inference/options.js';
import { buildProgram } from '../../repl/cli.js';
import { complete } from '../../repl/complete.js';
import { SETTING_NAMES } from '../../repl/session/commands/fit.js';
import { Session } from '../../repl/session/session.js';
import { fakeContext, text } from './helpers.js';

const io = { out: () => {}, err: () => {}, isTTY: false };
const command = (name: string): Command => buildProgram(io).commands.find((c) => c.name() === name)!;
const flag = (spec: OptionSpec) => `--${spec.flag ?? kebab(spec.name)}`;
const choicesOf = (t: OptionType) => (t.kind === 'choice' || t.kind === 'choice-by-site' ? [...t.choices] : undefined);

/** A value of the wrong kind for each type, as the API and as typed text. */
const BAD: Record<Exclude<OptionType['kind'], 'value'>, { api: unknown; text: string }> = {
  count: { api: 0, text: '0' },
  integer: { api: 1.5, text: '1.5' },
  positive: { api: 0, text: '-1' },
  nonnegative: { api: -1, text: '-1' },
  boolean: { api: 'yes', text: 'yes' },
  choice: { api: 'nonsense', text: 'nonsense' },
  'choice-by-site': { api: { mu: 'nonsense' }, text: 'nonsense' },
};

describe('the API reads the option table', () => {
  it('FIT_DEFAULTS holds exactly the defaults of the table', () => {
    const want = Object.fromEntries(FIT_OPTIONS.flatMap((o) => ('default' in o ? [[o.name, o.default]] : [])));
    expect(FIT_DEFAULTS).toEqual(want);
  });

  it("the estimators' own defaults agree with the table", () => {
    expect(estimatorOptions({})).toEqual(ESTIMATOR_DEFAULTS);
  });

  it('model.fit rejects a wrong value of every checked option, naming the values it takes', async () => {
    const model = compile('mu ~ Normal(0, 1)\n');
    const checked = optionsFor('api').filter((o) => o.type.kind !== 'value');
    expect(checked.length).toBeGreaterThan(10);
    for (const o of checked) {
      const bad = BAD[o.type.kind as keyof typeof BAD].api;
      await expect(model.fit({ [o.name]: bad }), o.name).rejects.toThrow(new RangeError(`fit option ${o.name} must be ${describeType(o.type)}, found ${typeof bad === 'string' ? `'${bad}'` : typeof bad === 'object' ? JSON.stringify(bad) : bad}`));
    }
  });

  it('an option outside the table is a TypeError listing the table', async () => {
    const err = await compile('mu ~ Normal(0, 1)\n')
      .fit({ stepz: 3 } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toBe(`unknown fit option: stepz (known: ${optionsFor('api').map((o) => o.name).join(', ')})`);
  });
});

describe('the command line reads the option table', () => {
  it('tilde fit has one flag per CLI option, with its choices, besides --data and --json', () => {
    const options = command('fit').options as readonly Option[];
    expect(options.map((o) => o.long)).toEqual(['--data', ...optionsFor('cli').map(flag), '--json']);
    for (const spec of optionsFor('cli')) {
      const o = options.find((x) => x.long === flag(spec))!;
      expect(o.description, spec.name).toBe(spec.help);
      expect(o.argChoices, spec.name).toEqual(choicesOf(spec.type));
    }
  });

  it('tilde grad and tilde repl offer the same backends as tilde fit', () => {
    for (const name of ['grad', 'repl']) {
      const backend = (command(name).options as readonly Option[]).find((o) => o.long === '--backend')!;
      expect(backend.argChoices, name).toEqual([...BACKEND_CHOICES]);
    }
  });
});

describe("the REPL's :set reads the option table", () => {
  it(':set knows exactly the REPL options, and Tab offers them all', () => {
    expect(SETTING_NAMES).toEqual(optionsFor('repl').map((o) => o.name));
    expect(complete(':set ', 5, { names: [] }).candidates).toEqual(SETTING_NAMES.map((n) => n + '='));
  });

  it(':set rejects a wrong value of every setting with the words of the table', async () => {
    const s = new Session(fakeContext().ctx);
    for (const o of optionsFor('repl')) {
      const bad = BAD[o.type.kind as keyof typeof BAD].text;
      expect(text(await s.submit(`:set ${o.name}=${bad}`))).toContain(`${o.name} must be ${describeType(o.type)}, found '${bad}'`);
    }
    expect(s.state.settings).toEqual({});
  });
});

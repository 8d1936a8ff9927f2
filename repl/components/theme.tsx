// Colour on or off for the whole tree (off under NO_COLOR): components ask for
// a tone and get a colour only when colour is allowed.

import { createContext, useContext } from 'react';

export type Tone = 'error' | 'warning' | 'ok' | 'note' | 'accent' | 'prompt';

const COLOURS: Record<Tone, string> = { error: 'red', warning: 'yellow', ok: 'green', note: 'gray', accent: 'cyan', prompt: 'magenta' };

export const ColourContext = createContext(true);

/** Props for Ink's <Text> in this tone: a colour when allowed; notes dim either way is too faint without colour. */
export function useTone(): (tone: Tone) => { color?: string; dimColor?: boolean } {
  const colour = useContext(ColourContext);
  return (tone) => (colour ? (tone === 'note' ? { dimColor: true } : { color: COLOURS[tone] }) : {});
}

export function useColour(): boolean {
  return useContext(ColourContext);
}

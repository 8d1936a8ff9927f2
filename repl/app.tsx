// The interactive REPL: finished output goes to the transcript (Ink's <Static>,
// printed once and never redrawn), the running fit to a live region under it,
// and the prompt last. Input lines queue, so a pasted block runs line by line.

import { Box, Static, Text, useApp, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { complete } from './complete.js';
import { BlockView } from './components/BlockView.js';
import { FitProgress, type FitView } from './components/FitProgress.js';
import { Prompt } from './components/Prompt.js';
import { ColourContext, useTone } from './components/theme.js';
import { useLineEditor } from './components/useLineEditor.js';
import type { Session } from './session/session.js';
import type { Block } from './session/types.js';

export type Item = { id: number; kind: 'input'; prompt: string; text: string } | { id: number; kind: 'block'; block: Block };

export const PROMPT = 'tilde> ';
export const CONTINUE = '   ...> ';

export interface AppProps {
  session: Session;
  /** Earlier input, oldest first, for Up/Down. */
  history: readonly string[];
  /** Remembers a submitted line (the history file). */
  remember?: (line: string) => void;
  /** Shown first: the banner and what loading the command-line model said. */
  initial: Block[];
  /** Names of directory entries for Tab after :load and friends. */
  listDir?: (dir: string) => string[];
  /** Told when the session ends (:quit, Ctrl-D), before Ink exits. */
  onQuit?: () => void;
}

function TranscriptItem({ item, width }: { item: Item; width: number }) {
  const tone = useTone();
  if (item.kind === 'input') {
    return (
      <Text>
        <Text {...tone('prompt')}>{item.prompt}</Text>
        {item.text}
      </Text>
    );
  }
  return <BlockView block={item.block} width={width} />;
}

export function App({ session, history, remember, initial, listDir, onQuit }: AppProps) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const width = stdout?.columns ?? 80;
  const nextId = useRef(0);
  const toItems = (blocks: Block[]): Item[] => blocks.map((block) => ({ id: nextId.current++, kind: 'block', block }));
  const [items, setItems] = useState<Item[]>(() => toItems(initial));
  const [busy, setBusy] = useState(false);
  const [fit, setFit] = useState<{ view?: FitView } | undefined>();
  const [continuing, setContinuing] = useState(false);
  const queue = useRef<string[]>([]);
  const running = useRef(false);
  const abort = useRef<AbortController | undefined>(undefined);
  const fitting = useRef(false);
  const [quitting, setQuitting] = useState(false);
  useEffect(() => {
    if (!quitting) return;
    onQuit?.();
    exit();
  }, [quitting, exit, onQuit]);

  const push = (more: Item[]) => setItems((xs) => [...xs, ...more]);
  const note = (text: string) => push(toItems([{ kind: 'note', text }]));

  const pump = async () => {
    if (running.current) return;
    running.current = true;
    setBusy(true);
    while (queue.current.length) {
      const line = queue.current.shift()!;
      push([{ id: nextId.current++, kind: 'input', prompt: session.continuing ? CONTINUE : PROMPT, text: line }]);
      remember?.(line);
      const ac = new AbortController();
      abort.current = ac;
      const r = await session.submit(line, {
        signal: ac.signal,
        onFitStart: () => {
          fitting.current = true;
          setFit({});
        },
        onProgress: (p) =>
          setFit((f) => ({ view: { step: p.step, maxSteps: p.maxSteps, stepsPerSecond: p.stepsPerSecond, phase: p.phase, history: [...(f?.view?.history ?? []), p.smoothedElbo] } })),
      });
      abort.current = undefined;
      fitting.current = false;
      setFit(undefined);
      push(toItems(r.blocks));
      setContinuing(Boolean(r.more));
      if (r.quit) {
        queue.current = [];
        // Exit once the last output is on screen, not while it is still a pending state update.
        setQuitting(true);
        break;
      }
    }
    running.current = false;
    setBusy(false);
  };

  const editor = useLineEditor({
    history,
    // Keys typed while a command runs are kept (type-ahead), and Enter queues the line.
    isActive: true,
    onSubmit: (line) => {
      queue.current.push(line);
      void pump();
    },
    onInterrupt: (line) => {
      if (abort.current) {
        // A command is running: stop it if it is a fit (the engine notices at its next progress
        // event; a fit still loading the engine stops at its first) and drop the typed-ahead lines.
        if (!abort.current.signal.aborted) {
          abort.current.abort();
          queue.current = [];
          note(fitting.current ? 'stopping the fit…' : '(interrupted)');
        }
      } else if (session.cancelPending()) {
        setContinuing(false);
        note('(block dropped)');
      } else if (line === '') note('(:quit or Ctrl-D to leave)');
    },
    onEof: () => setQuitting(true),
    complete: (line, cursor) => {
      const names = new Set<string>(session.state.checked?.symbols.keys() ?? []);
      for (const n of session.state.fit?.posterior.draws.keys() ?? []) names.add(n);
      return complete(line, cursor, { names: [...names], listDir });
    },
  });

  return (
    <Box flexDirection="column">
      <Static items={items}>{(item) => <TranscriptItem key={item.id} item={item} width={width} />}</Static>
      {fit && <FitProgress view={fit.view} />}
      {!quitting && (!busy || editor.state.value !== '') && <Prompt prompt={continuing ? CONTINUE : PROMPT} value={editor.state.value} cursor={editor.state.cursor} candidates={editor.candidates} width={width} />}
    </Box>
  );
}

export function ColourApp({ colour, ...props }: AppProps & { colour: boolean }) {
  return (
    <ColourContext.Provider value={colour}>
      <App {...props} />
    </ColourContext.Provider>
  );
}

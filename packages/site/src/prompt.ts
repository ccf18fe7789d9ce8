import readline from 'node:readline';
import type { Prompter } from './init.js';

/**
 * Questions on a terminal: asked on stderr (stdout stays the summary), answered on stdin. The end of input
 * (Ctrl-D) answers null; Ctrl-C stops the program (exit 130, as a shell reports it), nothing written.
 */
export function terminalPrompter(
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stderr,
): Prompter & { close: () => void } {
  const rl = readline.createInterface({ input, output, terminal: true });
  const lines: string[] = [];
  let closed = false;
  let waiting: ((answer: string | null) => void) | null = null;
  const hand = (answer: string | null) => {
    const w = waiting;
    waiting = null;
    w?.(answer);
  };
  rl.on('line', (l) => (waiting ? hand(l) : lines.push(l)));
  rl.on('close', () => {
    closed = true;
    hand(null);
  });
  rl.on('SIGINT', () => {
    output.write('\n');
    process.exit(130);
  });
  return {
    ask: (question) => {
      if (lines.length) return Promise.resolve(lines.shift()!);
      if (closed) return Promise.resolve(null);
      rl.setPrompt(question);
      rl.prompt();
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    say: (line) => output.write(`${line}\n`),
    close: () => rl.close(),
  };
}

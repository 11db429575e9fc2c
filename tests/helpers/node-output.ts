import type { TestNode } from './test-cluster.js';

/** Resolves with the first match of `pattern` in what the node prints, now or later. */
export function waitForOutput(
  node: TestNode,
  pattern: RegExp,
  timeoutMs = 60_000,
  /** Look only at what the node printed after this many characters. */
  from = 0,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const streams = [node.process.stdout!, node.process.stderr!];
    const done = (): void => {
      clearTimeout(timer);
      for (const s of streams) s.off('data', check);
    };
    const check = (): void => {
      const match = pattern.exec(node.output().slice(from));
      if (!match) return;
      done();
      resolve(match);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms in:\n${node.output()}`));
    }, timeoutMs);
    for (const s of streams) s.on('data', check);
    check();
  });
}

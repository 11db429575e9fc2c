import { nodes, type NodeInfo } from '@de2/core';
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

/** Polls the head's node table until `done` holds for it (the head pushes no event to wait on). */
export async function pollNodes(
  done: (table: NodeInfo[]) => boolean,
  timeoutMs: number,
): Promise<NodeInfo[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const table = await nodes();
    if (done(table)) return table;
    if (Date.now() > deadline)
      throw new Error(`node table not as expected after ${timeoutMs} ms: ${JSON.stringify(table)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

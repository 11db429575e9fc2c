import type { NodeToHead } from './messages.js';

/**
 * Most ids in one subscribe/addRef/removeRef message. A driver's `get` of a million refs
 * made one subscribe of a million ids (about 80 MB on the wire): one message the channel
 * cannot split, so the connection's heartbeat answer waited behind all of it, and the head
 * spent seconds on it in one go.
 */
export const IDS_PER_MESSAGE = 10_000;

type IdListMessage = Extract<NodeToHead, { type: 'subscribe' | 'addRef' | 'removeRef' }>;

/** The message as several of at most `IDS_PER_MESSAGE` ids each (itself when short enough). */
export function splitIdLists(message: NodeToHead, most = IDS_PER_MESSAGE): NodeToHead[] {
  if (!isIdList(message) || message.ids.length <= most) return [message];
  const parts: NodeToHead[] = [];
  for (let i = 0; i < message.ids.length; i += most) {
    parts.push({ ...message, ids: message.ids.slice(i, i + most) });
  }
  return parts;
}

function isIdList(message: NodeToHead): message is IdListMessage {
  return message.type === 'subscribe' || message.type === 'addRef' || message.type === 'removeRef';
}

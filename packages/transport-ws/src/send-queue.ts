/**
 * A bounded FIFO of frames for one peer, with the `'reject'` or
 * `'drop-oldest'` policy. Sizes count payload bytes (the frame minus its type
 * byte), so a queue of `maxBytes ≥ maxMessageBytes` always fits one message.
 * @module
 */
import type { QueuePolicy } from './types.js';

/** A bounded per-peer frame queue. */
export interface SendQueue {
  /** Frames queued. */
  readonly length: number;
  /** Payload bytes queued. */
  readonly bytes: number;
  /** Whether a frame of `frameLength` bytes can be queued without dropping anything. */
  hasRoom(frameLength: number): boolean;
  /**
   * Queues a frame. Under `'reject'` returns false (queuing nothing) when
   * there is no room; under `'drop-oldest'` drops the oldest frames to make
   * room and returns true. `onDrop` counts each dropped frame.
   */
  push(frame: Uint8Array, onDrop: () => void): boolean;
  /** The oldest frame, without removing it. */
  peek(): Uint8Array | undefined;
  /** Removes and returns the oldest frame. */
  shift(): Uint8Array | undefined;
  /** Empties the queue. */
  clear(): void;
}

/** Limits of a {@link SendQueue}. */
export interface SendQueueLimits {
  readonly maxMessages: number;
  readonly maxBytes: number;
  readonly policy: QueuePolicy;
}

/** Creates an empty queue. */
export function createSendQueue(limits: SendQueueLimits): SendQueue {
  let items: Uint8Array[] = [];
  let head = 0;
  let bytes = 0;
  const size = (frame: Uint8Array): number => frame.length - 1;

  const queue: SendQueue = {
    get length() {
      return items.length - head;
    },
    get bytes() {
      return bytes;
    },
    hasRoom: (frameLength) => items.length - head + 1 <= limits.maxMessages && bytes + frameLength - 1 <= limits.maxBytes,
    push(frame, onDrop) {
      if (!queue.hasRoom(frame.length)) {
        if (limits.policy === 'reject') return false;
        while (queue.length > 0 && !queue.hasRoom(frame.length)) {
          queue.shift();
          onDrop();
        }
      }
      items.push(frame);
      bytes += size(frame);
      return true;
    },
    peek: () => items[head],
    shift() {
      const frame = items[head];
      if (frame === undefined) return undefined;
      items[head] = EMPTY;
      head++;
      bytes -= size(frame);
      if (head === items.length) {
        items = [];
        head = 0;
      } else if (head >= 1024 && head * 2 >= items.length) {
        items = items.slice(head);
        head = 0;
      }
      return frame;
    },
    clear() {
      items = [];
      head = 0;
      bytes = 0;
    },
  };
  return queue;
}

const EMPTY = new Uint8Array(1);

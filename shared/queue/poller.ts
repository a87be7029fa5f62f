/**
 * A queue poller over the Queue interface (used for the embedded queue; SQS uses sqs-consumer):
 * receives up to 10 messages at a time, keeps them invisible with heartbeats while they are being
 * processed (including while they wait in the scoring batcher), and lets the handler acknowledge each
 * message itself as soon as its outcome is final. Several pollers may share one handler.
 */
import type { Queue, ReceivedMessage } from "./queue.ts";

export interface PollerOptions {
  queue: Queue;
  /** Processes one message; resolves when it is final (acked, dead-lettered or left for redelivery). */
  handle: (message: ReceivedMessage) => Promise<unknown>;
  /** Visibility timeout given at receive time and renewed by heartbeats. Default 60 s. */
  visibilityTimeoutS?: number;
  /** Heartbeat period; must be below the visibility timeout. Default a third of it. */
  heartbeatS?: number;
  /** Long-poll wait. Default 1 s. */
  waitS?: number;
  batchSize?: number;
  onError?: (err: unknown) => void;
}

export class Poller {
  private readonly o: Required<Omit<PollerOptions, "onError">> & Pick<PollerOptions, "onError">;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(options: PollerOptions) {
    const visibilityTimeoutS = options.visibilityTimeoutS ?? 60;
    this.o = {
      visibilityTimeoutS,
      heartbeatS: options.heartbeatS ?? Math.max(1, Math.floor(visibilityTimeoutS / 3)),
      waitS: options.waitS ?? 1,
      batchSize: options.batchSize ?? 10,
      ...options,
    };
    if (this.o.heartbeatS >= this.o.visibilityTimeoutS)
      throw new RangeError(
        `heartbeat (${this.o.heartbeatS}s) must be shorter than the visibility timeout (${this.o.visibilityTimeoutS}s)`,
      );
    if (this.o.batchSize < 1 || this.o.batchSize > 10) throw new RangeError("batchSize must be 1..10");
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops receiving; resolves once the batch in hand is processed. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let messages: ReceivedMessage[];
      try {
        messages = await this.o.queue.receive({
          max: this.o.batchSize,
          visibilityTimeoutS: this.o.visibilityTimeoutS,
          waitS: this.o.waitS,
        });
      } catch (err) {
        this.o.onError?.(err);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (messages.length === 0) continue;
      const pending = new Set(messages);
      const beat = setInterval(() => {
        for (const m of pending)
          this.o.queue
            .changeVisibility(m.receiptHandle, this.o.visibilityTimeoutS)
            .catch((err) => this.o.onError?.(err));
      }, this.o.heartbeatS * 1000);
      try {
        await Promise.all(
          messages.map((m) =>
            this.o
              .handle(m)
              .catch((err) => this.o.onError?.(err))
              .finally(() => pending.delete(m)),
          ),
        );
      } finally {
        clearInterval(beat);
      }
    }
  }
}

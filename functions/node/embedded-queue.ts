/**
 * Embedded durable queue (Node only: node:sqlite). The local default backend.
 *
 * One SQLite file in WAL mode holds the messages and the dead letters. Every accepted send is
 * committed before `sendBatch` resolves (synchronous=FULL by default), so a crash or restart loses
 * nothing that was accepted. Semantics follow SQS standard queues: a received message is invisible
 * for the visibility timeout, then redelivered unless acked; `receive_count` counts deliveries;
 * a message already delivered `maxReceives` times is moved to the DLQ table instead of being
 * delivered again. Several processes may share the file (busy timeout, IMMEDIATE transactions).
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import {
  decodeMessage,
  encodeAccepted,
  encodeMessage,
  type DeadLetter,
  type Queue,
  type QueueDepth,
  type QueueMessage,
  type ReceivedMessage,
  type ReceiveOptions,
  type SendResult,
} from "../../shared/queue/queue.ts";

export interface EmbeddedQueueOptions {
  /** SQLite file path, or ":memory:" (not durable; tests only). */
  path: string;
  /** Default visibility timeout in seconds. Default 30. */
  visibilityTimeoutS?: number;
  /** Deliveries before a message goes to the DLQ (SQS maxReceiveCount). Default 5. */
  maxReceives?: number;
  /** "FULL" (default; survives power loss) or "NORMAL" (survives process crashes). */
  synchronous?: "FULL" | "NORMAL";
  /** Clock in ms, for tests. */
  now?: () => number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class EmbeddedQueue implements Queue {
  readonly kind = "embedded" as const;
  readonly path: string;
  private db: DatabaseSync;
  private vt: number;
  private readonly receiveLimit: number;
  private now: () => number;
  private closed = false;
  private st: Record<string, StatementSync>;

  constructor(options: EmbeddedQueueOptions) {
    this.path = options.path;
    this.vt = options.visibilityTimeoutS ?? 30;
    this.receiveLimit = options.maxReceives ?? 5;
    this.now = options.now ?? Date.now;
    if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
    this.db = new DatabaseSync(options.path, { timeout: 5000 });
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = ${options.synchronous ?? "FULL"};
      CREATE TABLE IF NOT EXISTS messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        body TEXT NOT NULL,
        visible_at INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        receipt TEXT,
        sent_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS messages_visible ON messages (visible_at, seq);
      CREATE UNIQUE INDEX IF NOT EXISTS messages_receipt ON messages (receipt);
      CREATE TABLE IF NOT EXISTS dlq (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL,
        body TEXT NOT NULL,
        reason TEXT NOT NULL,
        receive_count INTEGER NOT NULL,
        dead_at INTEGER NOT NULL
      );
    `);
    this.st = {
      insert: this.db.prepare("INSERT INTO messages (id, body, visible_at, sent_at) VALUES (?, ?, ?, ?)"),
      expired: this.db.prepare(
        "SELECT seq, id, body, receive_count FROM messages WHERE visible_at <= ? AND receive_count >= ? ORDER BY seq LIMIT 100",
      ),
      ready: this.db.prepare(
        "SELECT seq, id, body, receive_count FROM messages WHERE visible_at <= ? ORDER BY seq LIMIT ?",
      ),
      take: this.db.prepare(
        "UPDATE messages SET receipt = ?, receive_count = ?, visible_at = ? WHERE seq = ?",
      ),
      del: this.db.prepare("DELETE FROM messages WHERE seq = ?"),
      ack: this.db.prepare("DELETE FROM messages WHERE receipt = ?"),
      vis: this.db.prepare("UPDATE messages SET visible_at = ? WHERE receipt = ? AND visible_at > ?"),
      dead: this.db.prepare(
        "INSERT INTO dlq (id, body, reason, receive_count, dead_at) VALUES (?, ?, ?, ?, ?)",
      ),
      byReceipt: this.db.prepare("SELECT seq, id, body, receive_count FROM messages WHERE receipt = ?"),
      depth: this.db.prepare(
        "SELECT SUM(visible_at <= ?) AS visible, SUM(visible_at > ?) AS inflight, MIN(sent_at) AS oldest FROM messages",
      ),
      dlqCount: this.db.prepare("SELECT COUNT(*) AS n FROM dlq"),
      dlqRead: this.db.prepare("SELECT seq, id, body, reason, receive_count FROM dlq ORDER BY seq LIMIT ?"),
      dlqDel: this.db.prepare("DELETE FROM dlq WHERE seq = ?"),
    };
  }

  private tx<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const r = fn();
      this.db.exec("COMMIT");
      return r;
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    }
  }

  private check(): void {
    if (this.closed) throw new Error("embedded queue is closed");
  }

  async sendBatch(messages: readonly QueueMessage[]): Promise<SendResult> {
    this.check();
    const now = this.now();
    const failed: SendResult["failed"] = [];
    const bodies: string[] = [];
    messages.forEach((m, index) => {
      const e = encodeMessage(m);
      if (e.ok) bodies.push(e.body);
      else failed.push({ index, error: e.error, permanent: true });
    });
    this.tx(() => {
      for (const body of bodies) this.st.insert!.run(randomUUID(), body, now, now);
    });
    return { sent: bodies.length, failed };
  }

  private receiveNow(max: number, vt: number): ReceivedMessage[] {
    const now = this.now();
    return this.tx(() => {
      // Messages that were delivered maxReceives times and expired again go to the DLQ.
      for (const r of this.st.expired!.all(now, this.receiveLimit) as unknown as Row[]) {
        this.st.dead!.run(r.id, r.body, `max_receives_exceeded (${r.receive_count})`, r.receive_count, now);
        this.st.del!.run(r.seq);
      }
      const out: ReceivedMessage[] = [];
      // Read a little more than asked, as malformed bodies are diverted.
      for (const r of this.st.ready!.all(now, max) as unknown as Row[]) {
        let body: QueueMessage;
        try {
          body = decodeMessage(r.body);
        } catch (e) {
          this.st.dead!.run(r.id, r.body, `malformed: ${(e as Error).message}`, r.receive_count + 1, now);
          this.st.del!.run(r.seq);
          continue;
        }
        const receipt = `${r.id}:${randomUUID()}`;
        const count = r.receive_count + 1;
        this.st.take!.run(receipt, count, now + vt * 1000, r.seq);
        out.push({ id: r.id, receiptHandle: receipt, body, receiveCount: count });
      }
      return out;
    });
  }

  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    this.check();
    const max = Math.max(1, options.max ?? 10);
    const vt = options.visibilityTimeoutS ?? this.vt;
    const deadline = Date.now() + (options.waitS ?? 0) * 1000;
    while (true) {
      const got = this.receiveNow(max, vt);
      if (got.length > 0 || Date.now() >= deadline || this.closed) return got;
      await sleep(Math.min(100, Math.max(1, deadline - Date.now())));
      if (this.closed) return [];
    }
  }

  async ack(receiptHandle: string): Promise<void> {
    this.check();
    this.st.ack!.run(receiptHandle);
  }

  async changeVisibility(receiptHandle: string, timeoutS: number): Promise<void> {
    this.check();
    const now = this.now();
    const r = this.st.vis!.run(now + timeoutS * 1000, receiptHandle, now);
    if (r.changes === 0)
      throw new Error("changeVisibility: receipt handle is not in flight (expired or acked)");
  }

  async maxReceives(): Promise<number | undefined> {
    return this.receiveLimit;
  }

  async depth(): Promise<QueueDepth> {
    this.check();
    const now = this.now();
    const d = this.st.depth!.get(now, now) as {
      visible: number | null;
      inflight: number | null;
      oldest: number | null;
    };
    const n = (this.st.dlqCount!.get() as { n: number }).n;
    const oldestAgeS = d.oldest === null ? 0 : Math.max(0, (now - d.oldest) / 1000);
    return { visible: d.visible ?? 0, inFlight: d.inflight ?? 0, dead: n, oldestAgeS };
  }

  async sendToDlq(
    message: QueueMessage | { raw: string },
    reason: string,
    receiptHandle?: string,
  ): Promise<void> {
    this.check();
    const now = this.now();
    this.tx(() => {
      let id: string = randomUUID();
      let count = 0;
      if (receiptHandle) {
        const r = this.st.byReceipt!.get(receiptHandle) as Row | undefined;
        if (r) {
          id = r.id;
          count = r.receive_count;
          this.st.del!.run(r.seq);
        }
      }
      const body = "raw" in message ? message.raw : encodeAccepted(message);
      this.st.dead!.run(id, body, reason, count, now);
    });
  }

  async readDlq(max = 100, remove = false): Promise<DeadLetter[]> {
    this.check();
    return this.tx(() => {
      const rows = this.st.dlqRead!.all(max) as unknown as Array<Row & { reason: string }>;
      if (remove) for (const r of rows) this.st.dlqDel!.run(r.seq);
      return rows.map((r) => {
        let body: unknown = r.body;
        try {
          body = JSON.parse(r.body);
        } catch {
          /* keep raw */
        }
        return { id: r.id, body, reason: r.reason, receiveCount: r.receive_count };
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

interface Row {
  seq: number;
  id: string;
  body: string;
  receive_count: number;
}

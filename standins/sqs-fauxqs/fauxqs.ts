/**
 * Starts fauxqs (an in-process SQS emulator, Node ≥ 22.5) for tests and local development, and
 * creates a queue + DLQ on it. Clients must use the returned explicit `endpoint` (127.0.0.1), not
 * the `sqs.<region>.localhost` host inside the queue URLs. fauxqs binds 0.0.0.0.
 */
import { startFauxqs } from "fauxqs";
import { createQueueWithDlq } from "../../shared/queue/sqs-queue.ts";

export const FAUXQS_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;

export interface FauxqsHandle {
  endpoint: string;
  port: number;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Creates `<name>` and `<name>-dlq` with a RedrivePolicy. */
  createQueue(
    name: string,
    options?: { maxReceiveCount?: number; visibilityTimeoutS?: number },
  ): Promise<{ queueUrl: string; dlqUrl: string }>;
  stop(): Promise<void>;
}

export async function startLocalSqs(options: { port?: number } = {}): Promise<FauxqsHandle> {
  const server = await startFauxqs({ port: options.port ?? 0, logger: false });
  const endpoint = `http://127.0.0.1:${server.port}`;
  const region = "us-east-1";
  return {
    endpoint,
    port: server.port,
    region,
    credentials: { ...FAUXQS_CREDENTIALS },
    async createQueue(name, o = {}) {
      const r = await createQueueWithDlq({ name, endpoint, region, credentials: FAUXQS_CREDENTIALS, ...o });
      return { queueUrl: r.queueUrl, dlqUrl: r.dlqUrl };
    },
    stop: () => server.stop(),
  };
}

/**
 * Node input helpers for `revrisk backfill`: decompressing dump streams (.xml, .xml.gz, .xml.bz2)
 * and reading a list file line by line with byte offsets (so a checkpoint can seek to a line).
 *
 * `.bz2`: Node has no built-in bzip2, so the system `bzip2 -dc` is spawned (package `bzip2` on
 * Debian/Ubuntu/Alpine). A missing binary is a clear error.
 */
import { spawn } from "node:child_process";
import { createReadStream, statSync } from "node:fs";
import { createGunzip } from "node:zlib";

type Compression = "none" | "gzip" | "bzip2";

function compressionOf(path: string): Compression {
  if (/\.gz$/i.test(path)) return "gzip";
  if (/\.bz2$/i.test(path)) return "bzip2";
  return "none";
}

export interface OpenedStream {
  /** Decompressed bytes. */
  stream: AsyncIterable<Uint8Array>;
  /** Compressed bytes read so far (for progress against the file size). */
  rawBytesRead(): number;
  size: number;
  close(): void;
}

/**
 * Opens a (possibly compressed) file. `start` (a byte offset) is honoured only for uncompressed
 * files, where it is a seek; compressed streams always start at the beginning.
 */
export function openDecompressed(path: string, options: { start?: number } = {}): OpenedStream {
  const size = statSync(path).size;
  const compression = compressionOf(path);
  const raw = createReadStream(path, {
    start: compression === "none" ? options.start : undefined,
    highWaterMark: 1 << 20,
  });
  if (compression === "none") {
    return {
      stream: raw,
      rawBytesRead: () => raw.bytesRead + (options.start ?? 0),
      size,
      close: () => raw.destroy(),
    };
  }
  if (compression === "gzip") {
    const gunzip = createGunzip();
    raw.on("error", (e) => gunzip.destroy(e));
    raw.pipe(gunzip);
    return {
      stream: gunzip,
      rawBytesRead: () => raw.bytesRead,
      size,
      close: () => {
        raw.destroy();
        gunzip.destroy();
      },
    };
  }
  const child = spawn("bzip2", ["-dc"], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const failure = new Promise<Error | undefined>((resolve) => {
    child.on("error", (e: NodeJS.ErrnoException) =>
      resolve(
        e.code === "ENOENT"
          ? new Error(
              `${path}: reading .bz2 needs the bzip2 program (apt-get install bzip2), not found on PATH`,
            )
          : e,
      ),
    );
    child.on("close", (code, signal) =>
      resolve(
        code === 0 || signal === "SIGTERM"
          ? undefined
          : new Error(`${path}: bzip2 -dc failed (${code ?? signal}): ${stderr.trim()}`),
      ),
    );
  });
  raw.pipe(child.stdin);
  child.stdin.on("error", () => undefined);
  async function* out(): AsyncGenerator<Uint8Array> {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const e = await failure;
    if (e) throw e;
  }
  return {
    stream: out(),
    rawBytesRead: () => raw.bytesRead,
    size,
    close: () => {
      raw.destroy();
      if (child.exitCode === null) child.kill("SIGTERM");
    },
  };
}

export interface Line {
  /** 1-based line number in the file. */
  number: number;
  text: string;
  /** Byte offset just after this line (its newline included). */
  end: number;
}

/** Lines of a text file from a byte offset (`line` = number of lines before `start`). */
export async function* readLines(
  path: string,
  options: { start?: number; line?: number; signal?: AbortSignal } = {},
): AsyncGenerator<Line> {
  let offset = options.start ?? 0;
  let number = options.line ?? 0;
  let rest: Buffer = Buffer.alloc(0);
  const stream = createReadStream(path, { start: offset, highWaterMark: 1 << 16 });
  try {
    for await (const chunk of stream) {
      let buf = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      let from = 0;
      let nl: number;
      while ((nl = buf.indexOf(10, from)) >= 0) {
        const bytes = nl + 1 - from;
        offset += bytes;
        number++;
        let text = buf.toString("utf8", from, nl);
        if (text.endsWith("\r")) text = text.slice(0, -1);
        if (number === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        yield { number, text, end: offset };
        from = nl + 1;
      }
      buf = buf.subarray(from);
      rest = Buffer.from(buf);
    }
    if (rest.length) {
      offset += rest.length;
      number++;
      let text = rest.toString("utf8");
      if (text.endsWith("\r")) text = text.slice(0, -1);
      yield { number, text, end: offset };
    }
  } finally {
    stream.destroy();
  }
}

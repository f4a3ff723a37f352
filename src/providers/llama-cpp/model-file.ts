/**
 * Checks a model file before llama.cpp sees it, so that a wrong path or a file that is not GGUF
 * fails with a message naming the file and the problem instead of a native "failed to load".
 */
import { open, stat } from 'node:fs/promises';
import { readGgufFileInfo, type GgufFileInfo } from 'node-llama-cpp';
import { ConfigError } from '../../errors/errors.js';

/** The smallest possible GGUF: magic, version and two 64-bit counts. */
const GGUF_HEADER_BYTES = 24;

export interface ModelFileInfo {
  path: string;
  sizeBytes: number;
  info: GgufFileInfo;
}

function describeStart(bytes: Buffer): string {
  const printable = /^[\x20-\x7e]+$/.test(bytes.toString('latin1'));
  return printable ? `'${bytes.toString('latin1')}'` : `bytes ${bytes.toString('hex')}`;
}

/**
 * Verifies that `path` is a readable GGUF file (magic, version, metadata and tensor table) and
 * returns its metadata. `origin` says where the path came from, for the message.
 */
export async function inspectModelFile(path: string, origin: string): Promise<ModelFileInfo> {
  const fail = (what: string, cause?: unknown): never => {
    throw new ConfigError(`Model file ${path} (${origin}) ${what}`, { cause });
  };

  const st = await stat(path).catch((err: NodeJS.ErrnoException) =>
    fail(
      err.code === 'ENOENT'
        ? 'does not exist. Fix the path, or generate/download a .gguf model there.'
        : `cannot be accessed (${err.code}).`,
      err,
    ),
  );
  if (!st.isFile()) fail('is not a regular file.');

  const header = Buffer.alloc(GGUF_HEADER_BYTES);
  let read = 0;
  try {
    const fh = await open(path, 'r');
    try {
      ({ bytesRead: read } = await fh.read(header, 0, GGUF_HEADER_BYTES, 0));
    } finally {
      await fh.close();
    }
  } catch (err) {
    fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, err);
  }

  if (read < 4 || header.toString('latin1', 0, 4) !== 'GGUF') {
    const start = describeStart(header.subarray(0, Math.min(read, 4)));
    fail(
      `is not a GGUF model: it starts with ${start} ` +
        "instead of 'GGUF'. Convert it with llama.cpp's convert_hf_to_gguf.py or use a .gguf file.",
    );
  }
  if (read < GGUF_HEADER_BYTES) fail(`is truncated: only ${st.size} bytes.`);
  const version = header.readUInt32LE(4);
  if (version < 2 || version > 3) fail(`has GGUF version ${version}; versions 2 and 3 load.`);

  let info: GgufFileInfo;
  try {
    info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
  } catch (err) {
    return fail(
      `is damaged or truncated: its GGUF header cannot be read (${(err as Error).message}).`,
      err,
    );
  }
  if (info.infoEndOffset !== undefined && info.infoEndOffset > st.size) {
    fail(`is truncated: ${st.size} bytes, but its header alone needs ${info.infoEndOffset}.`);
  }
  // The last tensor's end needs per-type block sizes; llama.cpp checks that precisely at load.
  for (const t of info.tensorInfo ?? []) {
    if (Number(t.fileOffset) > st.size) {
      fail(
        `is truncated: tensor ${t.name} starts at byte ${t.fileOffset}, past its end (${st.size}).`,
      );
    }
  }
  return { path, sizeBytes: st.size, info };
}

/**
 * The vocabulary of the generated tiny model: a SentencePiece-style ("llama") vocabulary with the
 * 256 byte-fallback tokens, so any text tokenizes, plus printable ASCII and a few hundred common
 * English pieces so that sampled output reads as (random) words rather than raw bytes.
 */

/** llama.cpp token types (LLAMA_TOKEN_TYPE_*). */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

export interface TinyVocab {
  tokens: string[];
  scores: number[];
  types: number[];
  unkId: number;
  bosId: number;
  eosId: number;
  /** `<|im_end|>`: ends an assistant turn in the ChatML template. */
  eotId: number;
  imStartId: number;
  /** `||call:`: node-llama-cpp's generic function-call prefix, as one token. */
  callPrefixId: number;
  /** Ids the model is wired never to produce (bytes that are not printable ASCII, controls). */
  suppressedIds: number[];
}

const SPACE = '\u2581';

const WORDS = (
  'the of and to in is that it was for on are as with his they at be this from have or by one ' +
  'had not but what all were when we there can an your which their said if do will each about ' +
  'how up out them then she many some so these would other into has more her two like him see ' +
  'time could no make than first been its who now people my made over did down only way find ' +
  'use may water long little very after words called just where most know get through back ' +
  'much before go good new write our used me man too any day same right look think also around ' +
  'another came come work three word must because does part even place well such here take why ' +
  'things help put years different away again off went old number great tell men say small ' +
  'every found still between name should home big give air line set own under read last never ' +
  'us left end along while might next sound below saw something thought both few those always ' +
  'looked show large often together asked house world going want school important until form ' +
  'food keep children feet land side without boy once animals life enough took sometimes four ' +
  'head above kind began almost live page got earth need far hand high year mother light parts ' +
  'country father let night following picture being study second eyes soon times story boys ' +
  'since white days paper hard near sentence better best across during today others however ' +
  'sure means knew it’s try told young miles sun ways thing whole hear example heard several ' +
  'change answer room sea against top turned learn point city play toward five using himself ' +
  'usually llama gateway model token stream'
).split(' ');

/** Builds the vocabulary; deterministic (no seed involved). */
export function buildTinyVocab(): TinyVocab {
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  const index = new Map<string, number>();
  const add = (text: string, type: number, score = 0): number => {
    const existing = index.get(text);
    if (existing !== undefined) return existing;
    const id = tokens.length;
    tokens.push(text);
    scores.push(score);
    types.push(type);
    index.set(text, id);
    return id;
  };

  const unkId = add('<unk>', TOKEN_TYPE.unknown);
  const bosId = add('<s>', TOKEN_TYPE.control);
  const eosId = add('</s>', TOKEN_TYPE.control);
  const suppressedIds = [unkId, bosId];
  for (let b = 0; b < 256; b++) {
    const hex = b.toString(16).toUpperCase().padStart(2, '0');
    const id = add(`<0x${hex}>`, TOKEN_TYPE.byte);
    // Printable ASCII also has a normal token below, so every byte token can stay unused.
    suppressedIds.push(id);
  }
  const imStartId = add('<|im_start|>', TOKEN_TYPE.control);
  const eotId = add('<|im_end|>', TOKEN_TYPE.control);
  suppressedIds.push(imStartId);

  // Single characters score lowest so that the SentencePiece merge loop prefers longer pieces.
  // Input pieces the model is wired not to emit: output is whole words and a little punctuation.
  const inputOnly = (id: number): void => void suppressedIds.push(id);
  inputOnly(add(SPACE, TOKEN_TYPE.normal, -1000));
  for (let c = 0x21; c < 0x7f; c++) {
    const ch = String.fromCharCode(c);
    const id = add(ch, TOKEN_TYPE.normal, -1000);
    // The quote stays emittable so JSON grammars can close strings.
    if (!',.?!"'.includes(ch)) inputOnly(id);
  }
  // Every prefix of a word is a piece too: SentencePiece merges pairwise, so "▁the" is only
  // reachable through "▁t" and "▁th".
  const wholeWords = new Set(WORDS.map((w) => SPACE + w));
  WORDS.forEach((word, rank) => {
    const piece = SPACE + word;
    for (let len = 2; len <= piece.length; len++) {
      const whole = len === piece.length;
      const id = add(piece.slice(0, len), TOKEN_TYPE.normal, whole ? -rank : -500 - rank);
      if (!whole && !wholeWords.has(piece.slice(0, len))) inputOnly(id);
    }
  });
  inputOnly(add(SPACE + SPACE, TOKEN_TYPE.normal, -900));
  // Its bias is decided per model: only a tool-eager model emits it.
  const callPrefixId = add('||call:', TOKEN_TYPE.normal, -100);

  return {
    tokens,
    scores,
    types,
    unkId,
    bosId,
    eosId,
    eotId,
    imStartId,
    callPrefixId,
    suppressedIds,
  };
}

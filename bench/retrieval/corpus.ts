// A synthetic, fixed-seed corpus: mixed English / Chinese / Japanese chunks grouped by topic, each
// query with one known relevant chunk (a rare term planted in it), and a deterministic local
// embedding (hashed bag of the same CJK-aware tokens full text indexes), so that nearest
// neighbours share words and topics, as with a real embedding model, and recall means something.
import { segmentForIndex } from "@enclave/core";

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VOCAB = 1500;
const TOPICS_PER_LANG = 120;
const TOPIC_WORDS = 40;
const WORDS_PER_CHUNK = 40;

const EN_SYLLABLES = "ka ri to me na su lo pe vi da ne mo ru sa ti ga bo le fi zu".split(" ");
// Common Han and kana characters; ICU segments runs of them into dictionary words or single
// characters, and index and query go through the same segmenter, so tokens agree.
const HAN = [
  ..."数据存储服务器客户合同员工预算报告会议安全访问网络备份支持产品设计审计财务法律隐私培训办公项目供应商市场销售研究开发测试部署运维监控日志用户权限管理系统平台文件资料分析模型",
];
const KANA = [..."アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモラリルレロワ"];

function words(random: () => number, lang: number): string[] {
  const out = new Set<string>();
  while (out.size < VOCAB) {
    const len = 2 + Math.floor(random() * 2);
    const pool = lang === 0 ? EN_SYLLABLES : lang === 1 ? HAN : KANA;
    let w = "";
    for (let i = 0; i < len; i++) w += pool[Math.floor(random() * pool.length)]!;
    out.add(w);
  }
  return [...out];
}

export interface Corpus {
  /** Topic of each language, as word lists. */
  topics: string[][][];
  vocab: string[][];
}

export function makeCorpus(seed: number): Corpus {
  const random = rng(seed);
  const vocab = [0, 1, 2].map((lang) => words(random, lang));
  const topics = vocab.map((v) =>
    Array.from({ length: TOPICS_PER_LANG }, () =>
      Array.from({ length: TOPIC_WORDS }, () => v[Math.floor(random() * v.length)]!),
    ),
  );
  return { topics, vocab };
}

// Japanese words are joined by particles (so katakana runs stay apart), Chinese by nothing.
const JA_JOIN = ["の", "を", "と", "に", "は"];

export function joinWords(ws: string[], lang: number, random: () => number): string {
  if (lang === 0) return ws.join(" ") + ".";
  if (lang === 1) return ws.join("") + "。";
  return (
    ws.map((w, i) => (i === 0 ? w : JA_JOIN[Math.floor(random() * JA_JOIN.length)]! + w)).join("") + "。"
  );
}

/** Chunk c: its language is c % 3, its topic picked at random; 80% topic words, 20% any word. */
export function chunkWords(
  corpus: Corpus,
  random: () => number,
  c: number,
): { lang: number; words: string[] } {
  const lang = c % 3;
  const topic = corpus.topics[lang]![Math.floor(random() * TOPICS_PER_LANG)]!;
  const vocab = corpus.vocab[lang]!;
  const ws: string[] = [];
  for (let i = 0; i < WORDS_PER_CHUNK; i++) {
    ws.push(
      random() < 0.8
        ? topic[Math.floor(random() * topic.length)]!
        : vocab[Math.floor(random() * vocab.length)]!,
    );
  }
  return { lang, words: ws };
}

// Planted terms: unique per query, and out of every vocabulary above.
export function plantedTerm(i: number, lang: number): string {
  const syllables = ["qa", "xu", "qi", "xo", "qe", "xa", "qu", "xe"];
  const code = [0, 1, 2, 3].map((k) => syllables[(i >> (k * 3)) & 7]).join("");
  if (lang === 0) return `zorb${code}${i}`;
  if (lang === 1)
    return `鑫${String.fromCharCode(0x4e00 + 9000 + i)}${String.fromCharCode(0x4e00 + 12000 + i)}`;
  return `ヴ${String.fromCharCode(0x4e00 + 15000 + i)}${String.fromCharCode(0x4e00 + 18000 + i)}`;
}

function fnv1a(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const HASHES = 4;

/**
 * Deterministic local embedding: each token of segmentForIndex(text) adds ±1 at HASHES hashed
 * positions (feature hashing, a random projection of the bag of words), sub-linear in term
 * frequency, then the vector is normalised. Cosine then tracks shared words.
 */
export function embed(text: string, dims: number): Float32Array {
  const tf = new Map<string, number>();
  for (const t of segmentForIndex(text).split(" ")) if (t) tf.set(t, (tf.get(t) ?? 0) + 1);
  const v = new Float32Array(dims);
  for (const [t, n] of tf) {
    const w = 1 + Math.log(n);
    for (let k = 0; k < HASHES; k++) {
      const h = fnv1a(t, k * 0x9e3779b9);
      v[h % dims] = v[h % dims]! + (h & 0x80000000 ? w : -w);
    }
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dims; i++) v[i] = v[i]! / norm;
  return v;
}

export function vectorText(v: Float32Array): string {
  let s = "[";
  for (let i = 0; i < v.length; i++) s += (i ? "," : "") + (Math.round(v[i]! * 1e5) / 1e5).toString();
  return s + "]";
}

// A synthetic, fixed-seed corpus: mixed English / Chinese / Japanese chunks, each query with one
// known relevant chunk (a rare term planted in it, and a query vector near its embedding).

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

const EN = (
  "policy data storage server customer invoice contract employee travel budget report quarter " +
  "meeting security access network backup support ticket release product design review audit " +
  "finance legal privacy training office manager request approval deadline project vendor"
).split(" ");
const ZH =
  "数据 存储 服务器 客户 合同 员工 预算 报告 会议 安全 访问 网络 备份 支持 产品 设计 审计 财务 法律 隐私 培训 办公室 项目 供应商".split(
    " ",
  );
const JA =
  "データ 保存 サーバー 顧客 契約 社員 予算 報告 会議 安全 アクセス ネットワーク バックアップ 製品 設計 監査 財務 法務 研修 事務所 案件 取引先".split(
    " ",
  );

// Planted terms: unique per query, not in any vocabulary above.
export function plantedTerm(i: number, lang: number): string {
  const syllables = ["ka", "zu", "mi", "ro", "te", "na", "pe", "lo"];
  const code = [0, 1, 2, 3].map((k) => syllables[(i >> (k * 3)) & 7]).join("");
  if (lang === 0) return `zorb${code}x${i}`;
  if (lang === 1) return `数据主权${String.fromCharCode(0x4e00 + 2000 + i)}`;
  return `会話ログ${String.fromCharCode(0x4e00 + 6000 + i)}`;
}

export function chunkText(random: () => number, lang: number, words = 40): string {
  const vocab = lang === 0 ? EN : lang === 1 ? ZH : JA;
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(vocab[Math.floor(random() * vocab.length)]!);
  return lang === 0 ? out.join(" ") + "." : out.join("") + "。";
}

export function randomUnit(random: () => number, dims: number): number[] {
  const v = Array.from({ length: dims }, () => random() * 2 - 1);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** A vector at cosine ≈ `similarity` from `v`. */
export function near(random: () => number, v: number[], similarity: number): number[] {
  const noise = randomUnit(random, v.length);
  const mixed = v.map((x, i) => similarity * x + Math.sqrt(1 - similarity ** 2) * noise[i]!);
  const n = Math.hypot(...mixed);
  return mixed.map((x) => x / n);
}

// Synthetic mixed English / Chinese / Japanese documents (txt, markdown, html) from a fixed seed,
// so every run ingests the same bytes.

export interface BenchDocument {
  kind: "txt" | "markdown" | "html";
  bytes: Uint8Array;
}

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EN = (
  "the of and to in is for on that with as data by this be are from at or an it model search document " +
  "knowledge retrieval index security audit policy tenant workspace chunk token vector embedding query " +
  "answer citation sovereignty encryption compliance review department confidential access control " +
  "latency throughput benchmark report customer contract invoice schedule meeting summary"
).split(" ");
const ZH_WORDS = (
  "数据 主权 知识库 检索 向量 索引 全文 分块 会话 日志 安全 审计 权限 部门 机密 文档 模型 " +
  "查询 答案 引用 加密 合规 审查 访问 控制 延迟 吞吐 基准 报告 客户 合同 发票 会议 摘要 " +
  "我们 需要 保护 用户 隐私 企业 云计算 时代 必须 重视 问题 系统 服务器 本地 部署 工作区"
).split(" ");
const ZH_GLUE = "的 在 和 是 了 对 将 与 并 也 都 被".split(" ");
const JA_WORDS = (
  "会話 ログ 暗号化 保存 データ 外部 送信 ナレッジベース 文書 チャンク 分割 全文検索 " +
  "ベクトル 索引 作成 権限 部署 機密 監査 モデル 検索 回答 引用 契約 請求書 会議 要約 " +
  "サーバー 社内 利用者 管理者 設定 確認 処理 結果 性能 評価"
).split(" ");
const JA_PARTICLES = "は が を に で と の も へ から まで".split(" ");
const JA_ENDINGS = ["します。", "されます。", "です。", "しました。", "できます。", "ません。"];
const ZH_ENDINGS = ["。", "。", "；", "！", "？"];

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

function sentence(rand: () => number, lang: "en" | "zh" | "ja"): string {
  if (lang === "en") {
    const n = 8 + Math.floor(rand() * 14);
    const words = Array.from({ length: n }, () => pick(rand, EN));
    words[0] = words[0]!.charAt(0).toUpperCase() + words[0]!.slice(1);
    return words.join(" ") + pick(rand, [".", ".", ".", "?", "!"]);
  }
  if (lang === "zh") {
    const n = 5 + Math.floor(rand() * 12);
    let s = "";
    for (let i = 0; i < n; i++) s += pick(rand, ZH_WORDS) + (rand() < 0.4 ? pick(rand, ZH_GLUE) : "");
    if (rand() < 0.3) s += "，" + pick(rand, ZH_WORDS) + pick(rand, ZH_WORDS);
    return s + pick(rand, ZH_ENDINGS);
  }
  const n = 3 + Math.floor(rand() * 6);
  let s = "";
  for (let i = 0; i < n; i++) s += pick(rand, JA_WORDS) + pick(rand, JA_PARTICLES);
  return s + pick(rand, JA_WORDS) + pick(rand, JA_ENDINGS);
}

function paragraph(rand: () => number): string {
  const r = rand();
  const lang = r < 0.4 ? "en" : r < 0.75 ? "zh" : "ja";
  const sep = lang === "en" ? " " : "";
  return Array.from({ length: 2 + Math.floor(rand() * 7) }, () => sentence(rand, lang)).join(sep);
}

function textDocument(rand: () => number, bytes: number, kind: BenchDocument["kind"]): string {
  const parts: string[] = [];
  let size = 0;
  let n = 0;
  while (size < bytes) {
    let p = paragraph(rand);
    if (kind === "markdown") {
      if (n % 12 === 0) p = `## ${pick(rand, EN)} ${pick(rand, ZH_WORDS)} ${n}\n\n${p}`;
      else if (rand() < 0.15)
        p = `- ${sentence(rand, "en")}\n- ${sentence(rand, "zh")}\n- ${sentence(rand, "ja")}`;
      else if (rand() < 0.05) p = "```\nconst total = items.reduce((a, b) => a + b, 0);\n```";
    } else if (kind === "html") {
      if (n % 12 === 0)
        p = `<h2 id="s${n}">${pick(rand, EN)} &amp; ${pick(rand, JA_WORDS)}</h2>\n<p class="lead">${p}</p>`;
      else if (rand() < 0.1) p = `<script>window.track && track(${n}, "&lt;p&gt;");</script><p>${p}</p>`;
      else if (rand() < 0.15)
        p = `<ul><li>${sentence(rand, "en")}</li><li><a href="/d/${n}" onclick="x()">${sentence(rand, "zh")}</a></li></ul>`;
      else p = `<p>${p}</p>`;
    }
    parts.push(p);
    size += Buffer.byteLength(p) + 2;
    n++;
  }
  const body = parts.join("\n\n");
  if (kind !== "html") return body;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Bench ${bytes}</title><style>p{margin:0}</style></head><body>\n${body}\n</body></html>`;
}

/** Documents of 128 KiB – 2 MiB until `totalBytes` is reached: 50% txt, 30% markdown, 20% html. */
export function generateCorpus(seed: number, totalBytes: number): BenchDocument[] {
  const rand = prng(seed);
  const docs: BenchDocument[] = [];
  let total = 0;
  while (total < totalBytes) {
    const r = rand();
    const kind = r < 0.5 ? "txt" : r < 0.8 ? "markdown" : "html";
    const size = Math.min(totalBytes - total, 128 * 1024 + Math.floor(rand() * 1920 * 1024));
    const bytes = new TextEncoder().encode(textDocument(rand, Math.max(size, 1024), kind));
    docs.push({ kind, bytes });
    total += bytes.byteLength;
  }
  return docs;
}

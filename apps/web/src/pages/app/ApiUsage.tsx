import type { AppView } from "@enclave/contracts";
import { useT } from "../../i18n/i18n.tsx";

/** Request examples for the app's service API, in Dify's and OpenAI's wire formats. */
export function usageSnippets(origin: string, app: Pick<AppView, "mode">) {
  const dify = app.mode === "completion" ? "completion-messages" : "chat-messages";
  const body =
    app.mode === "completion"
      ? `{"inputs": {}, "response_mode": "blocking", "user": "user-1"}`
      : `{"inputs": {}, "query": "Hello", "response_mode": "streaming", "user": "user-1"}`;
  return {
    dify: [
      `curl -X POST '${origin}/v1/${dify}' \\`,
      `  -H "Authorization: Bearer $ENCLAVE_API_KEY" \\`,
      `  -H 'Content-Type: application/json' \\`,
      `  -d '${body}'`,
    ].join("\n"),
    openai: [
      `import os`,
      `from openai import OpenAI`,
      ``,
      `client = OpenAI(base_url="${origin}/v1", api_key=os.environ["ENCLAVE_API_KEY"])`,
      `reply = client.chat.completions.create(`,
      `    model="enclave-app", messages=[{"role": "user", "content": "Hello"}]`,
      `)`,
      `print(reply.choices[0].message.content)`,
    ].join("\n"),
  };
}

export function ApiUsage({ app }: { app: AppView }) {
  const t = useT();
  const snippets = usageSnippets(window.location.origin, app);
  return (
    <section className="card" aria-labelledby="usage-title">
      <h2 id="usage-title">{t("app.apiUsage")}</h2>
      {!app.enableApi && <p className="banner banner-error">{t("app.apiDisabled")}</p>}
      {!app.publishedVersion && <p className="hint">{t("app.publishFirst")}</p>}
      <h3>{t("app.difySnippet")}</h3>
      <pre className="json" data-testid="snippet-dify">
        {snippets.dify}
      </pre>
      {app.mode !== "completion" && (
        <>
          <h3>{t("app.openaiSnippet")}</h3>
          <pre className="json" data-testid="snippet-openai">
            {snippets.openai}
          </pre>
        </>
      )}
    </section>
  );
}

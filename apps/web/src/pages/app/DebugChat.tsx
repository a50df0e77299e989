// The app page's debug pane: chats against the DRAFT config (POST /console/api/apps/{id}/
// chat-messages), keeping the conversation across turns until "restart"; Stop ends an answer.
import { useMemo, useState } from "react";
import type { AppView } from "@enclave/contracts";
import { post, postStream } from "../../api/client.ts";
import { useI18n } from "../../i18n/i18n.tsx";
import { ChatView } from "../../ui/chat/ChatView.tsx";
import { InputsForm, initialInputs, missingRequired, toInputs } from "../../ui/chat/InputsForm.tsx";
import { type ChatTransport, useChat } from "../../ui/chat/use-chat.ts";
import { EmbedSnippet } from "./EmbedSnippet.tsx";

export function DebugChat({ app, canEdit }: { app: AppView; canEdit: boolean }) {
  const { t } = useI18n();
  const transport = useMemo<ChatTransport>(
    () => ({
      send: (body, signal) => postStream(`/apps/${app.id}/chat-messages`, body, signal),
      // The server stops the model call and keeps the partial answer, marked stopped.
      stop: (taskId) => post(`/apps/${app.id}/chat-messages/${encodeURIComponent(taskId)}/stop`),
    }),
    [app.id],
  );
  const chat = useChat(transport);
  const fields = app.config.userInputForm;
  const [values, setValues] = useState(() => initialInputs(fields));
  const missing = missingRequired(fields, values);
  return (
    <section className="debug-chat" data-testid="debug-chat">
      <div className="page-head">
        <p className="hint">{t("chat.debug.draftNote")}</p>
        <button
          type="button"
          className="secondary"
          data-testid="chat-restart"
          disabled={chat.busy}
          onClick={() => chat.dispatch({ type: "reset" })}
        >
          {t("chat.restart")}
        </button>
      </div>
      <InputsForm fields={fields} values={values} onChange={setValues} />
      {missing.length > 0 && (
        <p className="hint">{t("chat.missingInputs", { fields: missing.join(", ") })}</p>
      )}
      <ChatView
        turns={chat.state.turns}
        busy={chat.busy}
        disabled={missing.length > 0}
        openingStatement={app.config.openingStatement}
        suggestions={app.config.suggestedQuestions}
        showUsage
        onSend={(q) => void chat.send(q, toInputs(fields, values))}
        onStop={() => void chat.stop()}
      />
      <EmbedSnippet app={app} canEdit={canEdit} />
    </section>
  );
}

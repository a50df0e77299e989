import { useQuery } from "@tanstack/react-query";
import type { AppModelSettings, ModelParameters, ModelProviderView } from "@enclave/contracts";
import { get } from "../../api/client.ts";
import type { MessageKey } from "../../i18n/en.ts";
import { useT } from "../../i18n/i18n.tsx";
import { useCan } from "../../layout/Console.tsx";
import { Field } from "../../ui/form.tsx";
import { type EditorErrors, numberOrUndefined } from "./editor-state.ts";

// The ranges the contracts ModelParameters schema accepts.
const PARAMS: { name: keyof ModelParameters; min: number; max: number; step: number }[] = [
  { name: "temperature", min: 0, max: 2, step: 0.1 },
  { name: "top_p", min: 0, max: 1, step: 0.05 },
  { name: "max_tokens", min: 1, max: 1_000_000, step: 1 },
  { name: "presence_penalty", min: -2, max: 2, step: 0.1 },
  { name: "frequency_penalty", min: -2, max: 2, step: 0.1 },
];

/** The provider's chat models, or null when it lists none (any name is then accepted). */
export function chatModels(provider: ModelProviderView | undefined): string[] | null {
  if (!provider || provider.models.length === 0) return null;
  return provider.models.filter((m) => m.type === "llm").map((m) => m.name);
}

interface Props {
  model: AppModelSettings | null;
  errors: EditorErrors;
  onChange(next: AppModelSettings | null): void;
}

export function ModelSettings({ model, errors, onChange }: Props) {
  const t = useT();
  const canList = useCan("model_provider.read");
  const providers = useQuery({
    queryKey: ["providers"],
    queryFn: () => get<{ data: ModelProviderView[] }>("/workspaces/current/model-providers"),
    enabled: canList,
  });
  const list = providers.data?.data ?? [];
  const provider = list.find((p) => p.id === model?.providerId);
  const names = chatModels(provider);
  const params = model?.parameters ?? {};
  function pickProvider(id: string) {
    if (!id) return onChange(null);
    const first = chatModels(list.find((p) => p.id === id))?.[0] ?? "";
    onChange({ providerId: id, name: first, parameters: params });
  }
  function setParam(name: keyof ModelParameters, value: number | undefined) {
    if (!model) return;
    const next = { ...params, [name]: value };
    if (value === undefined) delete next[name];
    onChange({ ...model, parameters: next });
  }
  return (
    <section className="card" aria-labelledby="model-title">
      <h2 id="model-title">{t("editor.model.title")}</h2>
      {!canList && model && <p>{t("editor.model.cannotList", { model: model.name })}</p>}
      {canList && (
        <div className="row-form">
          <Field
            label={t("app.provider")}
            name="providerId"
            error={errors["model.providerId"] ?? errors.model}
          >
            {(p) => (
              <select {...p} value={model?.providerId ?? ""} onChange={(e) => pickProvider(e.target.value)}>
                <option value="">{t("app.noModel")}</option>
                {list.map((pr) => (
                  <option key={pr.id} value={pr.id}>
                    {pr.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {model && (
            <Field
              label={t("app.model")}
              name="modelName"
              error={errors["model.name"]}
              {...(names === null
                ? { hint: t("editor.model.typeName") }
                : names.length === 0
                  ? { hint: t("editor.model.noChatModels") }
                  : {})}
            >
              {(p) =>
                names === null ? (
                  <input
                    {...p}
                    value={model.name}
                    spellCheck={false}
                    onChange={(e) => onChange({ ...model, name: e.target.value })}
                  />
                ) : (
                  <select
                    {...p}
                    value={model.name}
                    onChange={(e) => onChange({ ...model, name: e.target.value })}
                  >
                    {!names.includes(model.name) && <option value={model.name}>{model.name || "—"}</option>}
                    {names.map((n) => (
                      <option key={n} value={n}>
                        {n}
                      </option>
                    ))}
                  </select>
                )
              }
            </Field>
          )}
        </div>
      )}
      {model && (
        <>
          <p className="hint">{t("editor.model.paramHint")}</p>
          <div className="row-form">
            {PARAMS.map(({ name, min, max, step }) => (
              <Field
                key={name}
                label={t(`editor.param.${name}` as MessageKey)}
                name={`param-${name}`}
                error={errors[`model.parameters.${name}`]}
              >
                {(p) => (
                  <input
                    {...p}
                    type="number"
                    min={min}
                    max={max}
                    step={step}
                    value={params[name] === undefined ? "" : String(params[name])}
                    onChange={(e) => setParam(name, numberOrUndefined(e.target.value))}
                  />
                )}
              </Field>
            ))}
          </div>
        </>
      )}
    </section>
  );
}

import type { ComparisonOperator, MetadataCondition, MetadataFilter } from "@enclave/contracts";
import type { MessageKey } from "../../i18n/en.ts";
import { useT } from "../../i18n/i18n.tsx";
import {
  type ConditionProblem,
  type FilterField,
  newCondition,
  operatorKey,
  operatorsFor,
  parseValue,
  takesList,
  takesValue,
  valueText,
  withField,
  withOperator,
} from "./metadata-logic.ts";

interface Props {
  fields: readonly FilterField[];
  value: MetadataFilter | null;
  problems: Record<number, ConditionProblem>;
  onChange(next: MetadataFilter | null): void;
}

/** Field label: built-ins translated, custom fields by their own name. */
export function useFieldLabel() {
  const t = useT();
  return (f: Pick<FilterField, "name" | "builtIn">) =>
    f.builtIn ? t(`knowledge.builtInNames.${f.name}` as MessageKey) : f.name;
}

/** Conditions on metadata fields (operator chosen per type), joined by AND or OR; none is no filter. */
export function MetadataFilterEditor({ fields, value, problems, onChange }: Props) {
  const t = useT();
  const label = useFieldLabel();
  const opLabel = (op: ComparisonOperator) => {
    const key = operatorKey(op);
    return key ? t(key as MessageKey) : op;
  };
  const conditions = value?.conditions ?? [];
  const logical = value?.logicalOperator ?? "and";
  const set = (next: MetadataCondition[], op = logical) =>
    onChange(next.length === 0 ? null : { logicalOperator: op, conditions: next });
  const at = (i: number, c: MetadataCondition) => set(conditions.map((x, j) => (j === i ? c : x)));
  return (
    <fieldset className="rule" data-testid="metadata-filter">
      <legend>{t("knowledge.filter")}</legend>
      <p className="hint">{t("knowledge.filterHint")}</p>
      {fields.length === 0 && <p className="muted">{t("knowledge.filterNoFields")}</p>}
      {conditions.length > 1 && (
        <select
          aria-label={t("knowledge.filter")}
          data-testid="filter-logical"
          value={logical}
          onChange={(e) => set(conditions, e.target.value as "and" | "or")}
        >
          <option value="and">{t("knowledge.matchAll")}</option>
          <option value="or">{t("knowledge.matchAny")}</option>
        </select>
      )}
      <ul className="stack">
        {conditions.map((c, i) => {
          const field = fields.find((f) => f.name === c.name);
          const type = field?.type ?? "string";
          const ops = field ? operatorsFor(field) : [c.comparisonOperator];
          const problem = problems[i];
          return (
            <li key={i} className="row-form" data-testid="filter-condition">
              <label>
                <span className="visually-hidden">{t("knowledge.filterField")}</span>
                <select
                  aria-label={t("knowledge.filterField")}
                  value={c.name}
                  onChange={(e) => {
                    const f = fields.find((x) => x.name === e.target.value);
                    if (f) at(i, withField(c, f));
                  }}
                >
                  {!field && <option value={c.name}>{c.name}</option>}
                  {fields.map((f) => (
                    <option key={f.name} value={f.name}>
                      {label(f)}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                <span className="visually-hidden">{t("knowledge.filterOperator")}</span>
                <select
                  aria-label={t("knowledge.filterOperator")}
                  value={c.comparisonOperator}
                  onChange={(e) => at(i, withOperator(c, e.target.value as ComparisonOperator))}
                >
                  {ops.map((op) => (
                    <option key={op} value={op}>
                      {opLabel(op)}
                    </option>
                  ))}
                </select>
              </label>
              {takesValue(c.comparisonOperator) && (
                <label>
                  <span className="visually-hidden">{t("knowledge.filterValue")}</span>
                  <input
                    aria-label={t("knowledge.filterValue")}
                    aria-invalid={problem ? true : undefined}
                    type={
                      takesList(c.comparisonOperator)
                        ? "text"
                        : type === "number"
                          ? "number"
                          : type === "time"
                            ? "datetime-local"
                            : "text"
                    }
                    placeholder={takesList(c.comparisonOperator) ? t("knowledge.listHint") : undefined}
                    maxLength={1000}
                    // Lists are parsed on blur: a half-typed "a, " must not lose its comma.
                    {...(takesList(c.comparisonOperator)
                      ? {
                          defaultValue: valueText(type, c.value),
                          key: `${i}-${c.name}-${c.comparisonOperator}`,
                          onBlur: (e) =>
                            at(i, { ...c, value: parseValue(type, c.comparisonOperator, e.target.value) }),
                        }
                      : {
                          value: valueText(type, c.value),
                          onChange: (e) =>
                            at(i, { ...c, value: parseValue(type, c.comparisonOperator, e.target.value) }),
                        })}
                  />
                </label>
              )}
              <button
                type="button"
                className="button-small button-ghost"
                onClick={() => set(conditions.filter((_, j) => j !== i))}
              >
                {t("common.remove")}
              </button>
              {problem && (
                <small className="field-error" role="alert">
                  {t(`knowledge.problem.${problem}`)}
                </small>
              )}
            </li>
          );
        })}
      </ul>
      {fields.length > 0 && conditions.length < 20 && (
        <button
          type="button"
          className="button-small button-secondary"
          onClick={() => set([...conditions, newCondition(fields[0]!)])}
        >
          {t("knowledge.addCondition")}
        </button>
      )}
    </fieldset>
  );
}

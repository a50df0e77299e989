import { useState } from "react";
import { useT } from "../i18n/i18n.tsx";

// Two clicks instead of window.confirm(): native dialogs block the page and hide from keyboard flow.
export function ConfirmButton({
  label,
  onConfirm,
  disabled,
}: {
  label: string;
  onConfirm(): void;
  disabled?: boolean;
}) {
  const t = useT();
  const [armed, setArmed] = useState(false);
  if (!armed) {
    return (
      <button
        type="button"
        className="button-small button-danger"
        onClick={() => setArmed(true)}
        disabled={disabled}
      >
        {label}
      </button>
    );
  }
  return (
    <span className="confirm">
      <button
        type="button"
        className="button-small button-danger"
        autoFocus
        onClick={() => {
          setArmed(false);
          onConfirm();
        }}
      >
        {t("common.confirm")}
      </button>
      <button type="button" className="button-small button-ghost" onClick={() => setArmed(false)}>
        {t("common.cancel")}
      </button>
    </span>
  );
}

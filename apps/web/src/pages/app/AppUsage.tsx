import { useQuery } from "@tanstack/react-query";
import type { AppView, UsageDayView, UsageView } from "@enclave/contracts";
import { get } from "../../api/client.ts";
import { useT } from "../../i18n/i18n.tsx";
import { ErrorBanner } from "../../ui/form.tsx";

/** Bar heights (0–100) for a series, scaled to its maximum. */
export function barHeights(values: number[]): number[] {
  const max = Math.max(0, ...values);
  return values.map((v) => (max === 0 ? 0 : Math.round((v / max) * 100)));
}

// SVG attributes, not style properties: the CSP allows no inline styles.
function Bars({ days, pick, label }: { days: UsageDayView[]; pick(d: UsageDayView): number; label: string }) {
  const heights = barHeights(days.map(pick));
  const w = 100 / Math.max(days.length, 1);
  return (
    <figure className="chart">
      <figcaption>{label}</figcaption>
      <svg viewBox="0 0 100 100" preserveAspectRatio="none" role="img" aria-label={label}>
        {heights.map((h, i) => (
          <rect key={days[i]!.day} className="bar" x={i * w + w * 0.1} width={w * 0.8} y={100 - h} height={h}>
            <title>{`${days[i]!.day}: ${pick(days[i]!)}`}</title>
          </rect>
        ))}
      </svg>
    </figure>
  );
}

export function AppUsage({ app }: { app: AppView }) {
  const t = useT();
  const usage = useQuery({
    queryKey: ["usage", app.id],
    queryFn: () => get<UsageView>(`/apps/${app.id}/usage`),
  });
  if (usage.error) return <ErrorBanner error={usage.error} />;
  if (!usage.data) return null;
  const { data, totals } = usage.data;
  return (
    <section className="card" aria-labelledby="usage-chart-title">
      <h2 id="usage-chart-title">{t("app.usage")}</h2>
      <p data-testid="usage-totals">
        {t("app.usageTotals", {
          messages: totals.messages,
          tokens: totals.totalTokens,
          errors: totals.errors,
          price: totals.price,
        })}
      </p>
      <div className="charts">
        <Bars days={data} pick={(d) => d.messages} label={t("app.requestsPerDay")} />
        <Bars days={data} pick={(d) => d.totalTokens} label={t("app.tokensPerDay")} />
        <Bars days={data} pick={(d) => Number(d.price)} label={t("app.costPerDay")} />
      </div>
    </section>
  );
}

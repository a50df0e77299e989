import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { Route, Router, Switch } from "wouter";
import { ApiError } from "./api/client.ts";
import { I18nProvider, type Locale } from "./i18n/i18n.tsx";
import { Console } from "./layout/Console.tsx";
import { InvitePage } from "./pages/InvitePage.tsx";
import { LoginPage, MfaPage } from "./pages/LoginPage.tsx";
import { EnrolMfaPage } from "./pages/MfaEnrolment.tsx";
import { SetupPage } from "./pages/SetupPage.tsx";
import { WebAppPage } from "./pages/WebAppPage.tsx";
import { ThemeProvider } from "./theme.tsx";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        // A 4xx will not change by asking again; only transient failures are retried.
        retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
      },
    },
  });
}

// Routing: wouter — a few kB, hooks-only, plain path patterns; the console needs no loaders or
// code-generated route trees, so a larger router would only add bundle weight.
export function AppRoutes() {
  return (
    <Switch>
      <Route path="/setup" component={SetupPage} />
      <Route path="/login" component={LoginPage} />
      <Route path="/login/mfa" component={MfaPage} />
      <Route path="/invite/:token" component={InvitePage} />
      <Route path="/enrol-mfa" component={EnrolMfaPage} />
      <Route path="/app/:code" component={WebAppPage} />
      <Route component={Console} />
    </Switch>
  );
}

export function App({
  client,
  locale,
  ssrPath,
}: {
  client?: QueryClient;
  locale?: Locale;
  ssrPath?: string;
}) {
  return (
    <QueryClientProvider client={client ?? createQueryClient()}>
      <I18nProvider {...(locale ? { initial: locale } : {})}>
        <ThemeProvider>
          <Router {...(ssrPath ? { ssrPath } : {})}>
            <AppRoutes />
          </Router>
        </ThemeProvider>
      </I18nProvider>
    </QueryClientProvider>
  );
}

import { type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, Redirect, Route, Switch, useLocation } from "wouter";
import { type Permission, roleHasPermission } from "@enclave/contracts";
import { homePath } from "./home-path.ts";
import { ApiError, get, post } from "../api/client.ts";
import type { AccountView, WorkspaceView } from "../api/types.ts";
import type { MessageKey } from "../i18n/en.ts";
import { useT } from "../i18n/i18n.tsx";
import { LocaleSwitcher, ThemeToggle } from "../ui/Prefs.tsx";
import { AccountPage } from "../pages/AccountPage.tsx";
import { AppsPage } from "../pages/AppsPage.tsx";
import { AppDetailPage } from "../pages/AppDetailPage.tsx";
import { AuditPage } from "../pages/AuditPage.tsx";
import { MembersPage } from "../pages/MembersPage.tsx";
import { ProvidersPage } from "../pages/ProvidersPage.tsx";
import { AllowlistPage } from "../pages/AllowlistPage.tsx";
import { SecretsPage } from "../pages/SecretsPage.tsx";
import { WorkspaceSettingsPage } from "../pages/WorkspaceSettingsPage.tsx";
import { DatasetsPage } from "../pages/knowledge/DatasetsPage.tsx";
import { DatasetPage } from "../pages/knowledge/DatasetPage.tsx";
import { DocumentPage } from "../pages/knowledge/DocumentPage.tsx";
import { HitTestingPage } from "../pages/knowledge/HitTestingPage.tsx";

export function useAccount() {
  return useQuery({ queryKey: ["account"], queryFn: () => get<AccountView>("/account"), retry: false });
}

/** True when the signed-in user's role in the current workspace grants `permission`. */
export function useCan(permission: Permission): boolean {
  const role = useAccount().data?.workspace?.role;
  return role !== undefined && roleHasPermission(role, permission);
}

const NAV: { href: string; label: MessageKey; permission: Permission }[] = [
  { href: "/apps", label: "nav.apps", permission: "app.read" },
  { href: "/knowledge", label: "knowledge.nav", permission: "dataset.read" },
  { href: "/workspace/members", label: "nav.members", permission: "member.read" },
  { href: "/workspace/providers", label: "nav.providers", permission: "model_provider.read" },
  { href: "/workspace/allowlist", label: "nav.allowlist", permission: "model_provider.read" },
  { href: "/workspace/settings", label: "nav.settings", permission: "workspace.update" },
  { href: "/workspace/secrets", label: "nav.secrets", permission: "workspace.update" },
  { href: "/audit", label: "nav.audit", permission: "audit.read" },
  { href: "/account", label: "nav.account", permission: "account.self" },
];

function WorkspaceSwitcher() {
  const t = useT();
  const client = useQueryClient();
  const list = useQuery({
    queryKey: ["workspaces"],
    queryFn: () => get<{ data: WorkspaceView[] }>("/workspaces"),
  });
  const change = useMutation({
    mutationFn: (id: string) => post(`/workspaces/${id}/switch`),
    onSuccess: () => client.invalidateQueries({ refetchType: "all" }),
  });
  const rows = list.data?.data ?? [];
  const current = rows.find((w) => w.current);
  return (
    <label className="switcher">
      <span className="visually-hidden">{t("nav.workspace")}</span>
      <select
        value={current?.id ?? ""}
        onChange={(e) => change.mutate(e.target.value)}
        data-testid="workspace-switcher"
      >
        {rows.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function Shell({ account, children }: { account: AccountView; children: ReactNode }) {
  const t = useT();
  const [location, navigate] = useLocation();
  const client = useQueryClient();
  const logout = useMutation({
    mutationFn: () => post("/logout"),
    onSettled: () => {
      client.clear();
      navigate("/login", { replace: true });
    },
  });
  const role = account.workspace?.role;
  return (
    <div className="console">
      <header className="topbar">
        <span className="brand">Enclave</span>
        <WorkspaceSwitcher />
        <span className="prefs">
          <LocaleSwitcher />
          <ThemeToggle />
          <span className="who" data-testid="who">
            {account.name}
          </span>
          <button type="button" className="button-ghost" onClick={() => logout.mutate()} data-testid="logout">
            {t("nav.logout")}
          </button>
        </span>
      </header>
      <nav className="sidenav" aria-label={t("nav.main")}>
        <ul>
          {NAV.filter((n) => role && roleHasPermission(role, n.permission)).map((n) => (
            <li key={n.href}>
              <Link href={n.href} aria-current={location.startsWith(n.href) ? "page" : undefined}>
                {t(n.label)}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main className="content">{children}</main>
    </div>
  );
}

/** The signed-in console: sends the visitor to login, setup or forced MFA enrolment as needed. */
export function Console() {
  const t = useT();
  const account = useAccount();
  if (account.isPending) return <p className="loading">{t("common.loading")}</p>;
  if (account.error) {
    if (account.error instanceof ApiError && account.error.status === 401)
      return <Redirect to="/login" replace />;
    return <p className="banner banner-error">{t("errors.generic")}</p>;
  }
  if (account.data.mfaEnrolmentRequired) return <Redirect to="/enrol-mfa" replace />;
  return (
    <Shell account={account.data}>
      <Switch>
        <Route path="/apps" component={AppsPage} />
        <Route path="/apps/:id" component={AppDetailPage} />
        <Route path="/knowledge" component={DatasetsPage} />
        <Route path="/knowledge/:id/hit-testing" component={HitTestingPage} />
        <Route path="/knowledge/:id/documents/:documentId" component={DocumentPage} />
        <Route path="/knowledge/:id" component={DatasetPage} />
        <Route path="/account" component={AccountPage} />
        <Route path="/workspace/members" component={MembersPage} />
        <Route path="/workspace/providers" component={ProvidersPage} />
        <Route path="/workspace/allowlist" component={AllowlistPage} />
        <Route path="/workspace/settings" component={WorkspaceSettingsPage} />
        <Route path="/workspace/secrets" component={SecretsPage} />
        <Route path="/audit" component={AuditPage} />
        <Route>
          <Redirect to={homePath(account.data.workspace?.role)} replace />
        </Route>
      </Switch>
    </Shell>
  );
}

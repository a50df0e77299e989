// The console end to end in Debian's headless Chromium: a fresh embedded server serving the built
// SPA, driven through setup, sign-in with TOTP, providers, apps, the debug pane, the published web
// app, logs, API keys and the audit trail (the issue's acceptance flow, in one world).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { issueSetupToken, totpCode, totpStep } from "@enclave/core";
import { type BrowserWorld, FAKE_MODEL, hasChromium, ROOT, startBrowserWorld } from "./browser-world.ts";
import { debugChatStreams, expectLogsHidden, expectLogsListVisitor, sendAndWait } from "./chat-steps.ts";
import { checkUntranslated, loadEnglishCatalogue } from "./untranslated.ts";

const XSS = "<img src=x onerror=alert(1)>";
const OWNER = { email: "olive@example.com", password: "violet lantern harbour 1987", name: "Olive" };

// The page's visible text without code samples (curl snippets are not console prose).
const VISIBLE_TEXT = `[...document.querySelectorAll("pre")].reduce((t, el) => t.replace(el.innerText, ""), document.body.innerText)`;

// Page-side expressions as strings: the server's tsconfig has no DOM types, and should not.
const inPage = (p: Page, expression: string) => p.evaluate(expression);

if (!hasChromium) {
  console.warn("console e2e skipped: /usr/bin/chromium is missing (apt-get install chromium to run it)");
}

// Generous per-step limits: CI runs this beside the rest of the suite on two cores.
describe.skipIf(!hasChromium)("web console in a real browser", { timeout: 90_000 }, () => {
  let w: BrowserWorld;
  let page: Page;
  let base: string;
  let secret = "";
  let lastStep = 0;
  let appId = "";
  let siteCode = "";
  let recoveryCodes: string[] = [];

  /** A TOTP code the server has not seen yet (each step is accepted once). */
  const nextCode = () => {
    lastStep = Math.max(lastStep + 1, totpStep(Date.now()));
    return totpCode(secret, lastStep);
  };
  const shot = (p: Page, name: string) => w.shot(p, name);

  beforeAll(async () => {
    w = await startBrowserWorld();
    base = w.base;
    page = await w.newPage();
  }, 90_000);

  afterAll(async () => w?.close());

  it("first run: setup with the one-time token, then sign out and back in", async () => {
    const token = await issueSetupToken(w.t.database.db);
    expect(token).toBeTruthy();
    await page.goto(`${base}/`);
    await page.waitForURL(`${base}/setup`);
    await page.getByRole("heading", { name: "Set up Enclave" }).waitFor();
    await shot(page, "setup-light");
    await page.getByLabel("Setup token").fill("not-the-token");
    await page.getByLabel("Workspace name").fill("Acme");
    await page.getByLabel("Name", { exact: true }).fill(OWNER.name);
    await page.getByLabel("Email").fill(OWNER.email);
    await page.getByLabel("Password").fill(OWNER.password);
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.getByRole("alert").first().waitFor();
    await page.getByLabel("Setup token").fill(token!);
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.getByRole("heading", { name: "Apps" }).waitFor();

    await page.getByTestId("logout").click();
    await page.waitForURL(`${base}/login`);
    await page.getByLabel("Email").fill(OWNER.email);
    await page.getByLabel("Password").fill("wrong password entirely");
    await page.getByRole("button", { name: "Sign in" }).click();
    // The refusal names no cause: not "unknown user", not "locked".
    await expect.poll(() => page.getByTestId("login-error").textContent()).toContain("Sign-in failed.");
    await shot(page, "login-error-light");
    await page.getByLabel("Password").fill(OWNER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Apps" }).waitFor();
  });

  it("enrols TOTP from a QR code, shows recovery codes once, and then asks for a code at login", async () => {
    await page.getByRole("link", { name: "My account" }).click();
    await page.getByRole("button", { name: "Set up two-step verification" }).click();
    await page.getByTestId("mfa-start").click();
    const qr = page.getByRole("img", { name: "QR code for your authenticator app" });
    await qr.waitFor();
    expect(await qr.evaluate((el) => el.tagName.toLowerCase())).toBe("svg");
    secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await shot(page, "mfa-enrol-light");
    await page.getByLabel("Authentication code").fill(nextCode());
    await page.getByRole("button", { name: "Turn on two-step verification" }).click();
    const codes = page.getByTestId("recovery-codes").locator("li");
    await expect.poll(() => codes.count()).toBe(10);
    recoveryCodes = await codes.allTextContents();
    const download = page.getByRole("link", { name: "Download codes" });
    expect(await download.getAttribute("href")).toMatch(/^blob:/);
    await shot(page, "recovery-codes-light");
    await page.getByRole("button", { name: "I have saved them" }).click();
    await expect
      .poll(() => page.getByTestId("mfa-status").textContent())
      .toContain("Recovery codes left: 10");

    await page.getByTestId("logout").click();
    await page.waitForURL(`${base}/login`);
    await page.getByLabel("Email").fill(OWNER.email);
    await page.getByLabel("Password").fill(OWNER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${base}/login/mfa`);
    await shot(page, "mfa-light");
    await page.getByLabel("Authentication code").fill(nextCode());
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByRole("heading", { name: "Apps" }).waitFor();
    // The browser holds the session only in HttpOnly cookies; script sees just the CSRF token.
    const cookies = await page.context().cookies(base);
    const session = cookies.find((c) => c.name.endsWith("enclave_session"));
    expect(session?.httpOnly).toBe(true);
    expect(await inPage(page, "document.cookie")).not.toContain("enclave_session");
    expect(await inPage(page, "window.localStorage.length")).toBe(0);
  });

  it("a recovery code signs in a second browser once; 'log out other sessions' ends that session", async () => {
    const second = await w.newPage();
    const signIn = async (code: string) => {
      await second.goto(`${base}/login`);
      await second.getByLabel("Email").fill(OWNER.email);
      await second.getByLabel("Password").fill(OWNER.password);
      await second.getByRole("button", { name: "Sign in" }).click();
      await second.waitForURL(`${base}/login/mfa`);
      await second.getByRole("button", { name: "Use a recovery code instead" }).click();
      await second.getByLabel("Recovery code").fill(code);
      await second.getByRole("button", { name: "Verify" }).click();
    };
    // Typed as a person might: upper case, spaces around. The server normalises it.
    await signIn(`  ${recoveryCodes[0]!.toUpperCase()} `);
    await second.getByRole("heading", { name: "Apps" }).waitFor();

    await page.goto(`${base}/account`);
    await expect.poll(() => page.getByTestId("mfa-status").textContent()).toContain("Recovery codes left: 9");
    const rows = page.locator("section", { hasText: "Active sessions" }).locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(2);
    await shot(page, "sessions-light");
    await page.getByRole("button", { name: "Log out other sessions" }).click();
    await expect.poll(() => rows.count()).toBe(1);
    await second.reload();
    await second.waitForURL(`${base}/login`);

    // A used recovery code does not work twice.
    await signIn(recoveryCodes[0]!);
    await second.getByText("That code was not accepted").waitFor();
    await second.context().close();
  });

  it("allowlists loopback, adds an OpenAI-compatible provider whose key is only ever masked, and tests it", async () => {
    await page.getByRole("link", { name: "Outbound allowlist" }).click();
    await page.getByLabel("Host, IP or CIDR").fill("127.0.0.1");
    await page.getByLabel("Note").fill(`fake model server ${XSS}`);
    await page.getByRole("button", { name: "Allow" }).click();
    await page.getByTestId("allowlist").getByText("127.0.0.1").waitFor();

    await page.getByRole("link", { name: "Model providers" }).click();
    await page.getByLabel("Kind").selectOption("openai_compatible");
    await page.getByLabel("Name", { exact: true }).fill(`Local ${XSS}`);
    await page.getByLabel("Base URL").fill("not a url");
    await page.getByRole("button", { name: "Add provider" }).click();
    await page.getByText("Enter a valid http or https URL.").waitFor();
    await page.getByLabel("Base URL").fill(w.fake.url);
    await page.getByLabel("API key").fill("sk-e2e-canary-0123456789");
    await page.getByLabel("Models").fill(FAKE_MODEL);
    await page.getByRole("button", { name: "Add provider" }).click();
    const card = page.getByTestId("provider");
    await card.getByText(`Local ${XSS}`).waitFor();
    expect(await page.content()).not.toContain("sk-e2e-canary-0123456789");
    await card.getByRole("button", { name: "Test connection" }).click();
    await expect
      .poll(() => card.getByTestId("provider-test").textContent())
      .toContain(`Connected: ${FAKE_MODEL}`);
  });

  it("creates a chat app with a hostile name, chats with its draft (streaming), publishes it and makes an API key", async () => {
    await page.getByRole("link", { name: "Apps" }).click();
    await page.getByLabel("Name", { exact: true }).fill(XSS);
    await page.getByLabel("Type").selectOption("chat");
    await page.getByRole("button", { name: "Create app" }).click();
    await page.waitForURL(/\/apps\/[0-9a-f-]{36}$/);
    appId = page.url().split("/").pop()!;
    expect(await page.getByTestId("app-name").textContent()).toBe(XSS);

    await page.getByLabel("Model provider").selectOption({ label: `Local ${XSS}` });
    await page.getByLabel("Model", { exact: true }).selectOption(FAKE_MODEL);
    await page.getByLabel("Instructions (system prompt)").fill("You are terse.");
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.getByText("Saved.").waitFor();
    await page.getByRole("tab", { name: "Logs", exact: true }).click();
    await page.getByText("No conversations yet.").waitFor();
    await debugChatStreams(page, w.fake, "one two three four five six");
    await page.getByTestId("publish").click();
    await expect.poll(() => page.getByTestId("publish-state").textContent()).toContain("Version 1");

    await page.getByRole("tab", { name: "API access" }).click();
    expect(await page.getByTestId("snippet-dify").textContent()).toContain(`${base}/v1/chat-messages`);
    await page.getByLabel("Key name").fill("ci-key");
    await page.getByTestId("create-api-key").click();
    const token = await page.getByTestId("api-key-token").inputValue();
    expect(token).toMatch(/^app-[A-Za-z0-9_-]{43}$/);
    await shot(page, "app-key-light");
    await page.reload();
    // The saved draft comes back with its provider chosen.
    await expect.poll(() => page.getByLabel("Model provider").inputValue()).not.toBe("");
    await page.getByRole("tab", { name: "API access" }).click();
    await page.getByTestId("api-keys").getByText(token.slice(0, 8)).waitFor();
    expect(await page.content()).not.toContain(token);

    await page.getByRole("link", { name: "All apps" }).click();
    await page.getByTestId("apps").getByText(XSS).waitFor();
    // The markup never became an element.
    expect(await page.locator("img").count()).toBe(0);
    siteCode = (
      (await (await page.request.get(`${base}/console/api/apps/${appId}`)).json()) as { siteCode: string }
    ).siteCode;
  });

  it("a fresh visitor chats in the published web app; the creator sees it in the app's logs and usage", async () => {
    const visitor = await w.newPage();
    await visitor.goto(`${base}/app/${siteCode}`);
    expect(await visitor.getByTestId("webapp-title").textContent()).toBe(XSS);
    const answer = await sendAndWait(visitor, "hello from the web");
    expect(await answer.textContent()).toContain("Echo: hello from the web");
    expect(await visitor.locator("img").count()).toBe(0);
    await visitor.context().close();

    await page.goto(`${base}/apps/${appId}`);
    await expectLogsListVisitor(page);
    // Beside it, the creator's own debug conversation.
    await expect.poll(() => page.getByTestId("conversations").textContent()).toContain("console:");
    await page.getByRole("tab", { name: "Usage", exact: true }).click();
    await expect.poll(() => page.getByTestId("usage-totals").textContent()).toMatch(/[1-9]\d* requests/);
  });

  it("invites a member by link; their hostile name renders as text and their role can be changed", async () => {
    await page.getByRole("link", { name: "Members" }).click();
    await page.getByLabel("Email").fill("eve@example.com");
    await page.getByLabel("Role", { exact: true }).selectOption("editor");
    await page.getByRole("button", { name: "Create invitation link" }).click();
    const link = await page.getByTestId("invite-link").inputValue();
    expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]{20,}$/);

    const invitee = await w.newPage();
    await invitee.goto(`${base}${new URL(link, base).pathname}`);
    await invitee.getByRole("heading", { name: "Join the workspace" }).waitFor();
    await invitee.getByLabel("Name", { exact: true }).fill(XSS);
    await invitee.getByLabel("Password").fill("amber-orchid-lighthouse-2024");
    await invitee.getByRole("button", { name: "Accept invitation" }).click();
    await invitee.getByRole("heading", { name: "Apps" }).waitFor();
    // An editor sees no audit or members-management entries.
    expect(await invitee.getByRole("link", { name: "Audit log" }).count()).toBe(0);
    // Another editor's app: its conversations are hidden from this editor, with the reason.
    await expectLogsHidden(invitee, base, appId);
    // Nor may an editor choose which sites can frame the app: the field is read-only, with why.
    await invitee.getByRole("tab", { name: "Debug" }).click();
    await invitee.getByTestId("embed-admins-only").waitFor();
    expect(await invitee.getByTestId("embed-origins").isDisabled()).toBe(true);
    expect(await invitee.getByTestId("embed-save").count()).toBe(0);
    await invitee.context().close();

    await page.reload();
    const members = page.getByTestId("members");
    await members.getByText(XSS, { exact: true }).waitFor();
    await members.getByLabel(`Role of ${XSS}`).selectOption("member");
    await expect.poll(() => members.getByLabel(`Role of ${XSS}`).inputValue()).toBe("member");
    await shot(page, "members-invited-light");
  });

  it("after repeated failures the right password is refused with the same message, naming no lock", async () => {
    const p = await w.newPage();
    await p.goto(`${base}/login`);
    const messages: string[] = [];
    const attempt = async (password: string) => {
      await p.getByLabel("Email").fill("eve@example.com");
      await p.getByLabel("Password").fill(password);
      const answered = p.waitForResponse((r) => r.url().endsWith("/console/api/login"));
      await p.getByRole("button", { name: "Sign in" }).click();
      expect((await answered).status()).toBe(401);
      const error = p.getByTestId("login-error");
      await error.waitFor();
      messages.push((await error.textContent()) ?? "");
    };
    for (let i = 0; i < 5; i++) await attempt(`wrong password number ${i}`);
    await attempt("amber-orchid-lighthouse-2024");
    expect(new Set(messages).size).toBe(1);
    expect(messages[0]).not.toMatch(/lock|disabled|unknown|exist/i);
    await shot(p, "login-locked-light");
    await p.context().close();
  });

  it("under an 'everyone' MFA policy a new member must enrol before reaching the console", async () => {
    await page.getByRole("link", { name: "Security policy" }).click();
    await page.getByLabel("Two-step verification required for").selectOption("all");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.").waitFor();
    await page.getByRole("link", { name: "Members" }).click();
    await page.getByLabel("Email").fill("finn@example.com");
    await page.getByRole("button", { name: "Create invitation link" }).click();
    const link = await page.getByTestId("invite-link").inputValue();

    const p = await w.newPage();
    await p.goto(`${base}${new URL(link, base).pathname}`);
    await p.getByLabel("Name", { exact: true }).fill("Finn");
    await p.getByLabel("Password").fill("copper-meadow-lantern-5150");
    await p.getByRole("button", { name: "Accept invitation" }).click();
    await p.waitForURL(`${base}/enrol-mfa`);
    await p.getByRole("heading", { name: "Set up two-step verification" }).waitFor();
    // The console's API refuses this session until enrolment is done.
    const blocked = await p.request.get(`${base}/console/api/apps`);
    expect(blocked.status()).toBe(403);
    expect(((await blocked.json()) as { code: string }).code).toBe("mfa_enrolment_required");
    await p.getByTestId("mfa-start").click();
    const finnSecret = (await p.getByTestId("totp-secret").textContent()) ?? "";
    await shot(p, "enrol-forced-light");
    await p.getByLabel("Authentication code").fill(totpCode(finnSecret, totpStep(Date.now())));
    await p.getByRole("button", { name: "Turn on two-step verification" }).click();
    await p.getByTestId("recovery-codes").waitFor();
    await p.getByRole("button", { name: "I have saved them" }).click();
    await p.getByRole("heading", { name: "Apps" }).waitFor();
    await p.context().close();
  });

  it("shows those events in the audit log, with a detail drawer and a verified chain", async () => {
    await page.getByRole("link", { name: "Audit log" }).click();
    const table = page.getByTestId("audit-events");
    for (const action of [
      "setup.complete",
      "auth.login.success",
      "outbound_allowlist.add",
      "model_provider.create",
      "app.create",
      "app.publish",
      "app.api_key.create",
      "member.invite",
    ]) {
      await table.getByRole("button", { name: action, exact: true }).first().waitFor();
    }
    await table.getByRole("button", { name: "app.publish", exact: true }).first().click();
    const drawer = page.getByRole("dialog");
    await drawer.waitFor();
    expect(await drawer.getByTestId("event-details").textContent()).toContain('"version": 1');
    await shot(page, "audit-drawer-light");
    await page.keyboard.press("Escape");
    await drawer.waitFor({ state: "hidden" });

    await page.getByLabel("Action", { exact: true }).fill("app.create");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(() => table.locator("tbody tr").count()).toBe(1);

    await page.getByRole("button", { name: "Verify now" }).click();
    await expect.poll(() => page.getByTestId("chain-badge").textContent()).toBe("Chain verified");
  });

  it("takes screenshots of the main pages in light and dark", async () => {
    const pages: [string, string][] = [
      ["apps", "/apps"],
      ["app", `/apps/${appId}`],
      ["account", "/account"],
      ["members", "/workspace/members"],
      ["providers", "/workspace/providers"],
      ["allowlist", "/workspace/allowlist"],
      ["settings", "/workspace/settings"],
      ["audit", "/audit"],
    ];
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [name, path] of pages) {
        await page.goto(`${base}${path}`);
        await page.locator("main h1").first().waitFor();
        expect(await inPage(page, "document.documentElement.dataset.theme")).toBe(scheme);
        await shot(page, `${name}-${scheme}`);
        if (name !== "app") continue;
        for (const tab of ["Access and logs", "API access", "Usage"]) {
          await page.getByRole("tab", { name: tab, exact: true }).click();
          await page.waitForLoadState("networkidle");
          await shot(page, `app-${tab.toLowerCase().replace(/\W+/g, "-")}-${scheme}`);
        }
      }
    }
    await page.emulateMedia({ colorScheme: "light" });
    // The theme switch flips it in place.
    await page.goto(`${base}/apps`);
    await page.locator("main h1").first().waitFor();
    expect(await inPage(page, "document.documentElement.dataset.theme")).toBe("light");
    await page.getByTestId("theme").click();
    expect(await inPage(page, "document.documentElement.dataset.theme")).toBe("dark");

    const phone = await w.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    for (const scheme of ["light", "dark"] as const) {
      await phone.emulateMedia({ colorScheme: scheme });
      await phone.goto(`${base}/login`);
      await phone.getByRole("heading", { name: "Sign in" }).waitFor();
      // Nothing sticks out sideways on a phone.
      expect(await inPage(phone, "document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
      await shot(phone, `login-mobile-${scheme}`);
    }
    await phone.context().close();
  });

  it("in 中文 and 日本語 the main pages show no English console strings", async () => {
    const en = await loadEnglishCatalogue(ROOT);
    const cookies = await page.context().cookies(base);
    for (const locale of ["zh-CN", "ja-JP"]) {
      const p = await w.newPage({ locale });
      await p.context().addCookies(cookies);
      const paths = ["/apps", `/apps/${appId}`, "/account", "/workspace/members", "/workspace/providers"];
      paths.push("/workspace/allowlist", "/workspace/settings", "/audit");
      for (const path of paths) {
        await p.goto(`${base}${path}`);
        await p.locator("main h1").first().waitFor();
        await p.waitForLoadState("networkidle");
        const text = String(await inPage(p, VISIBLE_TEXT));
        expect(checkUntranslated(en, locale, text), `${locale} ${path}`).toEqual([]);
        // Every tab of the app page too.
        const tabs = p.getByRole("tab");
        for (let i = 0; i < (await tabs.count()); i++) {
          await tabs.nth(i).click();
          await p.waitForLoadState("networkidle");
          const tabText = String(await inPage(p, VISIBLE_TEXT));
          expect(checkUntranslated(en, locale, tabText), `${locale} ${path} tab ${i}`).toEqual([]);
        }
      }
      await shot(p, `audit-${locale}`);
      await p.context().close();
    }
    // A signed-out page, and the switcher changing language in place.
    const p = await w.newPage();
    await p.goto(`${base}/login`);
    await p.getByTestId("locale").selectOption("ja");
    await p.getByRole("heading", { name: "サインイン" }).waitFor();
    expect(checkUntranslated(en, "ja", String(await inPage(p, "document.body.innerText")))).toEqual([]);
    expect(await inPage(p, "document.documentElement.lang")).toBe("ja");
    await p.context().close();
  });

  it("no dialog fired and the bundle ran under the strict CSP without a violation", () => {
    expect(w.dialogs).toEqual([]);
    expect(w.pageErrors).toEqual([]);
  });

  it("the dialog listener does catch an alert (so the check above can fail)", async () => {
    const probe = await w.browser.newPage();
    const seen: string[] = [];
    probe.on("dialog", (d) => {
      seen.push(d.message());
      void d.dismiss();
    });
    await inPage(probe, "alert('probe')");
    expect(seen).toEqual(["probe"]);
    await probe.close();
  });
});

import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useSearchParams } from "react-router-dom";

import { api, data } from "../api/client";
import { ProblemError, problemMessage } from "../api/problem";
import { homeFor } from "../auth/permissions";
import { markPasswordExpired, meQueryKey, rememberedTenant, rememberTenant } from "../auth/session";
import { AuthFrame } from "./AuthFrame";

/** Only same-site paths may be a `next`: never an open redirect. */
export function safeNext(next: string | null): string | null {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : null;
}

export function LoginPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const [tenant, setTenant] = useState(params.get("tenant") ?? rememberedTenant());
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [totpCode, setTotpCode] = useState("");
  const [askTotp, setAskTotp] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await data(
        api.POST("/api/v1/auth/login", {
          body: { tenant: tenant.trim(), email: email.trim(), password, totpCode: totpCode || null },
        }),
      );
      rememberTenant(tenant.trim());
      markPasswordExpired(session.passwordExpired);
      queryClient.setQueryData(meQueryKey, session.user);
      const target = session.passwordExpired
        ? "/portal/password"
        : (safeNext(params.get("next")) ?? homeFor(session.user.role));
      navigate(target, { replace: true });
    } catch (err) {
      if (err instanceof ProblemError && (err.code === "totp_required" || err.code === "totp_invalid")) {
        setAskTotp(true);
      }
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const locked = error instanceof ProblemError && error.status === 423;
  return (
    <AuthFrame title={t("login.title")}>
      {params.get("changed") && <Alert color="green">{t("password.done")}</Alert>}
      {error != null && (
        <Alert color={locked ? "orange" : "red"} title={locked ? t("login.locked") : undefined} role="alert" data-testid="problem">
          {problemMessage(error, t)}
        </Alert>
      )}
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <TextInput
            label={t("login.tenant")}
            description={t("login.tenantHint")}
            value={tenant}
            onChange={(e) => setTenant(e.currentTarget.value)}
            required
            autoComplete="organization"
            data-autofocus
          />
          <TextInput
            label={t("login.email")}
            type="email"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            required
            autoComplete="username"
          />
          <PasswordInput
            label={t("login.password")}
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            required
            autoComplete="current-password"
          />
          {askTotp && (
            <TextInput
              label={t("login.totp")}
              value={totpCode}
              onChange={(e) => setTotpCode(e.currentTarget.value.replace(/\D/g, ""))}
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={8}
              autoFocus
            />
          )}
          <Button type="submit" loading={busy} fullWidth>
            {t("login.submit")}
          </Button>
        </Stack>
      </form>
      <Text size="sm">
        {t("login.noAccount")}{" "}
        <Anchor component={Link} to="/signup">
          {t("login.signupLink")}
        </Anchor>
      </Text>
    </AuthFrame>
  );
}

import { Alert, Button, Paper, PasswordInput, Stack } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router-dom";

import { api } from "../api/client";
import { markPasswordExpired, passwordExpired } from "../auth/session";
import { ErrorAlert } from "../components/ErrorAlert";
import { PageHeader } from "../components/PageHeader";

export function PasswordPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const mismatch = confirm.length > 0 && next !== confirm;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (next !== confirm) return;
    setBusy(true);
    setError(null);
    try {
      await api.POST("/api/v1/auth/password", { body: { currentPassword: current, newPassword: next } });
      // The server ends every session of the user: sign in again with the new password.
      markPasswordExpired(false);
      queryClient.clear();
      navigate("/login?changed=1", { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeader title={t("password.title")} />
      <Paper withBorder p="lg" maw={480}>
        <form onSubmit={submit} noValidate>
          <Stack gap="sm">
            {passwordExpired() && <Alert color="orange">{t("password.forced")}</Alert>}
            <ErrorAlert error={error} />
            <PasswordInput label={t("password.current")} value={current} onChange={(e) => setCurrent(e.currentTarget.value)} required autoComplete="current-password" />
            <PasswordInput label={t("password.next")} value={next} onChange={(e) => setNext(e.currentTarget.value)} required autoComplete="new-password" description={t("signup.passwordHint")} />
            <PasswordInput
              label={t("password.confirm")}
              value={confirm}
              onChange={(e) => setConfirm(e.currentTarget.value)}
              required
              autoComplete="new-password"
              error={mismatch ? t("password.mismatch") : undefined}
            />
            <Button type="submit" loading={busy} disabled={!current || !next || mismatch}>
              {t("password.submit")}
            </Button>
          </Stack>
        </form>
      </Paper>
    </>
  );
}

import { Anchor, Button, PasswordInput, Stack, Text, TextInput } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router-dom";

import { api, data } from "../api/client";
import { markPasswordExpired, meQueryKey, rememberTenant } from "../auth/session";
import { ErrorAlert } from "../components/ErrorAlert";
import { AuthFrame } from "./AuthFrame";

/** A company ID suggested from the company name (ASCII only; Chinese names need typing). */
export function suggestSlug(companyName: string): string {
  return companyName
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
}

export function SignupPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [form, setForm] = useState({ companyName: "", slug: "", adminName: "", adminEmail: "", password: "" });
  const [slugEdited, setSlugEdited] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const set = (field: keyof typeof form) => (value: string) =>
    setForm((f) => {
      const next = { ...f, [field]: value };
      if (field === "companyName" && !slugEdited) next.slug = suggestSlug(value);
      return next;
    });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const out = await data(api.POST("/api/v1/signup", { body: { ...form, slug: form.slug.trim() } }));
      rememberTenant(out.slug);
      markPasswordExpired(false);
      queryClient.setQueryData(meQueryKey, out.user);
      navigate("/portal", { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <AuthFrame title={t("signup.title")}>
      <ErrorAlert error={error} />
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <TextInput label={t("signup.companyName")} value={form.companyName} onChange={(e) => set("companyName")(e.currentTarget.value)} required autoComplete="organization" />
          <TextInput
            label={t("signup.slug")}
            description={t("signup.slugHint")}
            value={form.slug}
            onChange={(e) => {
              setSlugEdited(true);
              set("slug")(e.currentTarget.value.toLowerCase());
            }}
            required
          />
          <TextInput label={t("signup.adminName")} value={form.adminName} onChange={(e) => set("adminName")(e.currentTarget.value)} required autoComplete="name" />
          <TextInput label={t("signup.adminEmail")} type="email" value={form.adminEmail} onChange={(e) => set("adminEmail")(e.currentTarget.value)} required autoComplete="email" />
          <PasswordInput
            label={t("signup.password")}
            description={t("signup.passwordHint")}
            value={form.password}
            onChange={(e) => set("password")(e.currentTarget.value)}
            required
            autoComplete="new-password"
          />
          <Button type="submit" loading={busy} fullWidth>
            {t("signup.submit")}
          </Button>
        </Stack>
      </form>
      <Text size="sm">
        {t("signup.haveAccount")}{" "}
        <Anchor component={Link} to="/login">
          {t("signup.loginLink")}
        </Anchor>
      </Text>
    </AuthFrame>
  );
}

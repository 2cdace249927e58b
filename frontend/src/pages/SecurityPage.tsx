import { Alert, Button, NumberInput, Paper, Stack, Switch, TextInput } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";

import { api, data, type TenantOut } from "../api/client";
import { ErrorAlert } from "../components/ErrorAlert";
import { PageHeader } from "../components/PageHeader";

export function SecurityPage() {
  const { t } = useTranslation();
  const tenant = useQuery({ queryKey: ["tenant"], queryFn: () => data(api.GET("/api/v1/tenant")) });
  return (
    <>
      <PageHeader title={t("security.title")} />
      <ErrorAlert error={tenant.error} />
      {tenant.data && <SecurityForm tenant={tenant.data} />}
    </>
  );
}

function SecurityForm({ tenant }: { tenant: TenantOut }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [name, setName] = useState(tenant.name);
  const [maxAge, setMaxAge] = useState<number | string>(tenant.passwordMaxAgeDays ?? "");
  const [totpAdmins, setTotpAdmins] = useState(tenant.requireTotpForAdmins);
  useEffect(() => {
    setName(tenant.name);
    setMaxAge(tenant.passwordMaxAgeDays ?? "");
    setTotpAdmins(tenant.requireTotpForAdmins);
  }, [tenant]);
  const save = useMutation({
    mutationFn: () => {
      const days = typeof maxAge === "number" ? maxAge : null;
      return data(
        api.PATCH("/api/v1/tenant", {
          body: {
            name,
            passwordMaxAgeDays: days,
            clearPasswordMaxAge: days === null,
            requireTotpForAdmins: totpAdmins,
          },
        }),
      );
    },
    onSuccess: (out) => queryClient.setQueryData(["tenant"], out),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <Paper withBorder p="lg" maw={520}>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <ErrorAlert error={save.error} />
          {save.isSuccess && <Alert color="green">{t("common.saved")}</Alert>}
          <TextInput label={t("security.tenantName")} value={name} onChange={(e) => setName(e.currentTarget.value)} required />
          <NumberInput label={t("security.maxAge")} description={t("security.maxAgeHint")} value={maxAge} onChange={setMaxAge} min={1} max={3650} allowDecimal={false} />
          <Switch label={t("security.totpAdmins")} checked={totpAdmins} onChange={(e) => setTotpAdmins(e.currentTarget.checked)} />
          <Button type="submit" loading={save.isPending} w="fit-content">
            {t("common.save")}
          </Button>
        </Stack>
      </form>
    </Paper>
  );
}

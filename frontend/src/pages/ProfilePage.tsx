import { Anchor, Badge, Button, Code, Group, Paper, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router-dom";

import { api, data } from "../api/client";
import { meQueryKey, useSession } from "../auth/session";
import { ErrorAlert } from "../components/ErrorAlert";
import { PageHeader } from "../components/PageHeader";

export function ProfilePage() {
  const { t } = useTranslation();
  const { me, tenant } = useSession();
  return (
    <>
      <PageHeader title={t("profile.title")} />
      <Stack maw={560}>
        <Paper withBorder p="lg">
          <Stack gap={4}>
            <Text fw={600} data-testid="profile-name">{me.displayName}</Text>
            <Text>{me.email}</Text>
            <Text c="dimmed">
              {t(`roles.${me.role}`)} · {tenant}
            </Text>
            <Anchor component={Link} to="/portal/password" mt="sm">
              {t("password.title")}
            </Anchor>
          </Stack>
        </Paper>
        <TotpCard enabled={me.totpEnabled} />
      </Stack>
    </>
  );
}

function TotpCard({ enabled }: { enabled: boolean }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [code, setCode] = useState("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: meQueryKey });
  const setup = useMutation({ mutationFn: () => data(api.POST("/api/v1/auth/totp/setup")) });
  const enable = useMutation({
    mutationFn: () => api.POST("/api/v1/auth/totp/enable", { body: { code } }),
    onSuccess: () => {
      setup.reset();
      setCode("");
      return refresh();
    },
  });
  const disable = useMutation({
    mutationFn: () => api.POST("/api/v1/auth/totp/disable", { body: { code } }),
    onSuccess: () => {
      setCode("");
      return refresh();
    },
  });
  const codeInput = (
    <TextInput label={t("login.totp")} value={code} onChange={(e) => setCode(e.currentTarget.value.replace(/\D/g, ""))} inputMode="numeric" autoComplete="one-time-code" maxLength={8} w={180} />
  );
  return (
    <Paper withBorder p="lg">
      <Stack gap="sm">
        <Group>
          <Title order={3} size="h5">{t("profile.totp")}</Title>
          <Badge color={enabled ? "green" : "gray"}>{enabled ? t("profile.totpOn") : t("profile.totpOff")}</Badge>
        </Group>
        <ErrorAlert error={setup.error ?? enable.error ?? disable.error} />
        {!enabled && !setup.data && (
          <Button variant="light" w="fit-content" onClick={() => setup.mutate()} loading={setup.isPending}>
            {t("profile.totpSetup")}
          </Button>
        )}
        {!enabled && setup.data && (
          <>
            <Text size="sm">{t("profile.totpSecret", { secret: "" })}<Code>{setup.data.secret}</Code></Text>
            <Group align="end">
              {codeInput}
              <Button onClick={() => enable.mutate()} disabled={code.length < 6} loading={enable.isPending}>{t("profile.totpConfirm")}</Button>
            </Group>
          </>
        )}
        {enabled && (
          <Group align="end">
            {codeInput}
            <Button color="red" variant="light" onClick={() => disable.mutate()} disabled={code.length < 6} loading={disable.isPending}>{t("profile.totpDisable")}</Button>
          </Group>
        )}
      </Stack>
    </Paper>
  );
}

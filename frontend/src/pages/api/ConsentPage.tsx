// API-1 authorization code + PKCE: a signed-in user approves (or denies) a partner app's
// request to act for them within some scopes; the browser is then sent back to the app.
import { Alert, Badge, Button, Group, Stack, Text } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router-dom";

import { api, data } from "../../api/client";
import { useSession } from "../../auth/session";
import { ErrorAlert } from "../../components/ErrorAlert";
import { AuthFrame } from "../AuthFrame";
import { consentRequest, scopeKey } from "./logic";

export function ConsentPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const [params] = useSearchParams();
  const request = consentRequest(params);
  const info = useQuery({
    queryKey: ["oauth-consent", params.toString()],
    queryFn: () => data(api.POST("/api/v1/oauth/authorize", { body: { ...request!, approve: null } })),
    enabled: request != null,
    retry: false,
  });
  const decide = useMutation({
    mutationFn: (approve: boolean) => data(api.POST("/api/v1/oauth/authorize", { body: { ...request!, approve } })),
    onSuccess: (answer) => {
      if (answer.redirectTo) window.location.assign(answer.redirectTo);
    },
  });

  return (
    <AuthFrame title={t("api.consentTitle")}>
      {!request && <Alert color="red">{t("api.consentBadRequest")}</Alert>}
      <ErrorAlert error={info.error ?? decide.error} />
      {info.data && (
        <Stack gap="sm" data-testid="consent">
          <Text>{t("api.consentAsk", { client: info.data.clientName, user: me.displayName })}</Text>
          <Group gap={4}>
            {info.data.scopes.map((scope) => (
              <Badge key={scope} variant="light" tt="none">
                {t(`api.scope.${scopeKey(scope)}`, { defaultValue: scope })}
              </Badge>
            ))}
          </Group>
          <Text size="sm" c="dimmed">
            {t("api.consentNote")}
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => decide.mutate(false)} loading={decide.isPending && decide.variables === false}>
              {t("api.deny")}
            </Button>
            <Button onClick={() => decide.mutate(true)} loading={decide.isPending && decide.variables === true}>
              {t("api.allow")}
            </Button>
          </Group>
        </Stack>
      )}
    </AuthFrame>
  );
}

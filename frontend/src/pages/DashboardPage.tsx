import { Card, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link, Navigate } from "react-router-dom";

import { api, data } from "../api/client";
import { can, homeFor, navFor } from "../auth/permissions";
import { useSession } from "../auth/session";

export function DashboardPage() {
  const { t } = useTranslation();
  const { me, tenant } = useSession();
  const tenantQuery = useQuery({
    queryKey: ["tenant"],
    queryFn: () => data(api.GET("/api/v1/tenant")),
    enabled: can(me.role, "settings.read"),
  });
  if (!can(me.role, "settings.read")) return <Navigate to={homeFor(me.role)} replace />;
  const shortcuts = navFor(me.role).filter((item) => item.path !== "/portal");
  return (
    <Stack>
      <Title order={2}>{t("dashboard.title", { name: me.displayName })}</Title>
      <Text c="dimmed">
        {t("dashboard.signedInAs", {
          email: me.email,
          role: t(`roles.${me.role}`),
          tenant: tenantQuery.data?.name ?? tenant,
        })}
      </Text>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
        {shortcuts.map((item) => (
          <Card key={item.key} withBorder component={Link} to={item.path} padding="lg">
            <Text fw={600}>{t(`nav.${item.key}`)}</Text>
          </Card>
        ))}
      </SimpleGrid>
      <Text size="sm" c="dimmed">
        {t("dashboard.soon")}
      </Text>
    </Stack>
  );
}

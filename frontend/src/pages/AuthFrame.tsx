import { Anchor, Box, Center, Group, Paper, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";

import { LanguageSwitch } from "../components/LanguageSwitch";

/** The frame of the signed-out pages: brand, language switch, one card. */
export function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <Box mih="100vh" bg="gray.0">
      <Group justify="space-between" p="md">
        <Anchor href="/" fw={700} size="lg" underline="never">
          {t("app.name")}
        </Anchor>
        <LanguageSwitch />
      </Group>
      <Center component="main" px="md" pb="xl">
        <Paper withBorder shadow="sm" p="xl" radius="md" w="100%" maw={440}>
          <Stack gap="md">
            <div>
              <Title order={1} size="h2">
                {title}
              </Title>
              <Text c="dimmed" size="sm">
                {t("app.tagline")}
              </Text>
            </div>
            {children}
          </Stack>
        </Paper>
      </Center>
    </Box>
  );
}

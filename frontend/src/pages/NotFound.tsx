import { Anchor, Stack, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { Link } from "react-router-dom";

export function NotFound() {
  const { t } = useTranslation();
  return (
    <Stack p="xl">
      <Text>{t("notFound")}</Text>
      <Anchor component={Link} to="/portal">
        {t("faces.back")}
      </Anchor>
    </Stack>
  );
}

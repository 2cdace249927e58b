import { Anchor, Center, Stack, Text, Title } from "@mantine/core";
import { useTranslation } from "react-i18next";
import { Link } from "react-router-dom";

/** The seat console, wallboard and IVR builder slot in here when their back ends land. */
export function ComingSoon({ face }: { face: "seat" | "wallboard" | "ivr" }) {
  const { t } = useTranslation();
  return (
    <Center mih="100vh" component="main">
      <Stack align="center">
        <Title order={1}>{t(`faces.${face}`)}</Title>
        <Text>{t("faces.comingSoon")}</Text>
        <Anchor component={Link} to="/portal">
          {t("faces.back")}
        </Anchor>
      </Stack>
    </Center>
  );
}

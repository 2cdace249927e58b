// A secret shown once, with a copy button: API client secrets and webhook signing secrets.
import { Alert, Button, Code, CopyButton, Group, Stack, Text } from "@mantine/core";
import { useTranslation } from "react-i18next";

export function SecretReveal({ label, secret, warning, extra }: { label: string; secret: string; warning: string; extra?: { label: string; text: string } }) {
  const { t } = useTranslation();
  return (
    <Stack gap="xs">
      <Alert color="yellow" data-testid="secret-once">
        {warning}
      </Alert>
      <Text size="sm" fw={600}>
        {label}
      </Text>
      <Group gap="xs" wrap="nowrap">
        <Code block data-testid="secret-value" style={{ flex: 1, wordBreak: "break-all" }}>
          {secret}
        </Code>
        <CopyButton value={secret}>
          {({ copied, copy }) => (
            <Button size="xs" variant="light" onClick={copy}>
              {copied ? t("api.copied") : t("api.copy")}
            </Button>
          )}
        </CopyButton>
      </Group>
      {extra && (
        <>
          <Text size="sm" fw={600}>
            {extra.label}
          </Text>
          <Code block style={{ wordBreak: "break-all", whiteSpace: "pre-wrap" }}>
            {extra.text}
          </Code>
        </>
      )}
    </Stack>
  );
}

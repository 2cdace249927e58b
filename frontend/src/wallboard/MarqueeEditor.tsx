// The supervisor sets the agents' marquee (DIAL-9): one message per line; agents' consoles
// change at once (a `marquee` event on the CTI socket).
import { Button, Card, Group, Stack, Text, Textarea, Title } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";

import { api } from "../api/client";
import { ErrorAlert } from "../components/ErrorAlert";

export function marqueeLines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

export function MarqueeEditor() {
  const { t } = useTranslation();
  const current = useQuery({
    queryKey: ["cti", "marquee"],
    queryFn: async () => (await api.GET("/api/v1/cti/marquee")).data?.messages ?? [],
  });
  const [text, setText] = useState("");
  useEffect(() => {
    if (current.data) setText(current.data.join("\n"));
  }, [current.data]);
  const save = useMutation({
    mutationFn: async () => {
      const { data, error } = await api.PUT("/api/v1/marquee", { body: { messages: marqueeLines(text) } });
      if (error) throw error;
      return data;
    },
  });
  return (
    <Card withBorder data-testid="marquee-editor">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Stack gap="xs">
          <Title order={2} size="h4">
            {t("wallboard.marquee")}
          </Title>
          <Textarea
            label={t("wallboard.marqueeHint")}
            value={text}
            onChange={(e) => {
              setText(e.currentTarget.value);
              save.reset();
            }}
            autosize
            minRows={2}
          />
          <Group>
            <Button type="submit" loading={save.isPending}>
              {t("wallboard.marqueeSave")}
            </Button>
            {save.isSuccess && (
              <Text c="green" role="status">
                {t("wallboard.marqueeSaved")}
              </Text>
            )}
          </Group>
          <ErrorAlert error={save.error} />
        </Stack>
      </form>
    </Card>
  );
}

// Wrap-up (SEAT-6, DIAL-7): the agent's disposition and note on the current or last call,
// `PUT /api/v1/calls/{callKey}/wrapup`. Saving again corrects it.
import { Badge, Button, Card, Group, Select, Stack, Text, Textarea, Title } from "@mantine/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";

import { api } from "../api/client";
import { ErrorAlert } from "../components/ErrorAlert";

async function loadCodes(): Promise<{ code: string; label: string }[]> {
  const { data, error } = await api.GET("/api/v1/calls/wrapup-codes");
  if (error) throw error;
  return data ?? [];
}

export function WrapupCard({ callId }: { callId: string }) {
  const { t } = useTranslation();
  const codes = useQuery({ queryKey: ["wrapup-codes"], queryFn: loadCodes, staleTime: 60_000 });
  const [code, setCode] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const save = useMutation({
    mutationFn: async () => {
      const { data, error } = await api.PUT("/api/v1/calls/{call_key}/wrapup", {
        params: { path: { call_key: callId } },
        body: { code: code ?? "", note },
      });
      if (error) throw error;
      return data;
    },
  });
  // A new call starts a new form.
  useEffect(() => {
    setCode(null);
    setNote("");
    save.reset();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [callId]);

  return (
    <Card withBorder data-testid="wrapup" aria-label={t("seat.wrapup.title")}>
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={2} size="h4">
            {t("seat.wrapup.title")}
          </Title>
          {save.isSuccess && (
            <Badge color="green" data-testid="wrapup-saved" role="status">
              {t("seat.wrapup.saved")}
            </Badge>
          )}
        </Group>
        {!callId ? (
          <Text c="dimmed">{t("seat.wrapup.none")}</Text>
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (code) save.mutate();
            }}
          >
            <Stack gap="xs">
              <Select
                label={t("seat.wrapup.code")}
                data={(codes.data ?? []).map((c) => ({ value: c.code, label: c.label }))}
                value={code}
                onChange={(v) => {
                  setCode(v);
                  save.reset();
                }}
                allowDeselect={false}
                searchable
              />
              <Textarea
                label={t("seat.wrapup.note")}
                value={note}
                onChange={(e) => {
                  setNote(e.currentTarget.value);
                  save.reset();
                }}
                maxLength={2000}
                autosize
                minRows={2}
              />
              <Button type="submit" disabled={!code} loading={save.isPending} w="fit-content">
                {t("seat.wrapup.save")}
              </Button>
              <ErrorAlert error={save.error ?? codes.error} />
            </Stack>
          </form>
        )}
      </Stack>
    </Card>
  );
}

// CRM-4 / SEAT-8: the FAQ beside the screen pop. The agent searches the knowledge base (shared
// articles and their business's), reads an article, listens to its recording in the page, and
// during a call plays it to the caller (callcontrol; the agent's microphone is cut from the
// caller while it plays, and comes back at its end or on Stop).
import { Alert, Button, Card, Group, Stack, Text, TextInput, Title, UnstyledButton } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../api/client";
import { ErrorAlert } from "../components/ErrorAlert";
import { audioUrl, formatSeconds, secondsLeft } from "../pages/knowledge/model";
import { useNow } from "./useLiveSocket";

interface Playback {
  articleId: string;
  startedMs: number;
  durationSeconds: number;
}

export function KnowledgePanel({ onCall }: { onCall: boolean }) {
  const { t } = useTranslation();
  const [q, setQ] = useState("");
  const [open, setOpen] = useState<string | null>(null);
  const [playback, setPlayback] = useState<Playback | null>(null);
  const [debounced] = useDebouncedValue(q.trim(), 250);
  const now = useNow();
  const results = useQuery({
    queryKey: ["knowledge", "panel", debounced],
    queryFn: () => data(api.GET("/api/v1/knowledge/articles", { params: { query: { q: debounced, limit: 10 } } })),
    enabled: debounced.length > 0,
    placeholderData: keepPreviousData,
  });
  const article = useQuery({
    queryKey: ["knowledge", "article", open],
    queryFn: () =>
      data(api.GET("/api/v1/knowledge/articles/{article_id}", { params: { path: { article_id: open ?? "" } } })),
    enabled: open !== null,
  });
  const play = useMutation({
    mutationFn: (id: string) =>
      data(api.POST("/api/v1/knowledge/articles/{article_id}/play", { params: { path: { article_id: id } } })),
    onSuccess: (r) =>
      setPlayback({ articleId: r.articleId, startedMs: Date.now(), durationSeconds: r.durationSeconds }),
  });
  const stop = useMutation({
    mutationFn: () => data(api.POST("/api/v1/knowledge/playback/stop")),
    onSettled: () => setPlayback(null),
  });
  const left = playback ? secondsLeft(playback.startedMs, playback.durationSeconds, now) : 0;
  useEffect(() => {
    if (playback && (left <= 0 || !onCall)) setPlayback(null);
  }, [playback, left, onCall]);

  const shown = open !== null ? article.data : undefined;
  return (
    <Card withBorder data-testid="kb-panel">
      <Title order={2} size="h3" mb="sm">
        {t("knowledge.panel.title")}
      </Title>
      <TextInput
        placeholder={t("knowledge.panel.search")}
        aria-label={t("knowledge.panel.search")}
        value={q}
        onChange={(e) => {
          setQ(e.currentTarget.value);
          setOpen(null);
        }}
        data-testid="kb-panel-search"
      />
      {shown ? (
        <Stack gap="xs" mt="sm" data-testid="kb-panel-article">
          <UnstyledButton onClick={() => setOpen(null)}>
            <Text size="sm" c="blue">
              ← {t("knowledge.panel.back")}
            </Text>
          </UnstyledButton>
          <Text fw={700}>{shown.title}</Text>
          <Text size="sm" style={{ whiteSpace: "pre-wrap" }} data-testid="kb-panel-body">
            {shown.body}
          </Text>
          {shown.audio && (
            <>
              <audio
                controls
                preload="none"
                src={audioUrl(shown.id, shown.updatedAt)}
                aria-label={t("knowledge.panel.listen")}
                style={{ width: "100%" }}
              />
              <Group gap="xs">
                <Button
                  size="xs"
                  onClick={() => play.mutate(shown.id)}
                  disabled={!onCall || playback !== null}
                  loading={play.isPending}
                  data-testid="kb-play-to-caller"
                >
                  {t("knowledge.panel.playToCaller")} ({formatSeconds(shown.audio.durationSeconds)})
                </Button>
                {playback && (
                  <Button size="xs" color="red" variant="light" onClick={() => stop.mutate()} loading={stop.isPending}>
                    {t("knowledge.panel.stop")}
                  </Button>
                )}
              </Group>
              {playback && (
                <Alert color="blue" p="xs" data-testid="kb-playing">
                  {t("knowledge.panel.playing", { seconds: left })}
                </Alert>
              )}
              {!onCall && (
                <Text size="xs" c="dimmed">
                  {t("knowledge.panel.onlyOnCall")}
                </Text>
              )}
            </>
          )}
          <ErrorAlert error={play.error ?? stop.error} />
        </Stack>
      ) : (
        <Stack gap={6} mt="sm" data-testid="kb-panel-results">
          {!debounced && (
            <Text size="sm" c="dimmed">
              {t("knowledge.panel.empty")}
            </Text>
          )}
          {debounced && results.data?.items.length === 0 && (
            <Text size="sm" c="dimmed">
              {t("knowledge.panel.none")}
            </Text>
          )}
          {debounced &&
            results.data?.items.map((a) => (
              <UnstyledButton key={a.id} onClick={() => setOpen(a.id)} data-testid="kb-panel-result">
                <Text size="sm" fw={600}>
                  {a.title}
                  {a.audioSeconds !== null && ` 🔊 ${formatSeconds(a.audioSeconds)}`}
                </Text>
                <Text size="xs" c="dimmed" lineClamp={2}>
                  {a.excerpt}
                </Text>
              </UnstyledButton>
            ))}
          <ErrorAlert error={results.error ?? article.error} />
        </Stack>
      )}
    </Card>
  );
}

// CRM-4 knowledge base in the portal: search (Chinese inside sentences too), read, and for
// admins and supervisors create, edit, delete, and attach a recording (WAV/MP3, converted to
// telephone audio by the server) that plays in the page and that agents can play to callers.
import {
  Badge,
  Button,
  FileInput,
  Group,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Textarea,
  Title,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { useBusinessOptions } from "../../api/lookups";
import { ProblemError, toProblem } from "../../api/problem";
import { can } from "../../auth/permissions";
import { useSession } from "../../auth/session";
import { FormActions, FormModal, useInvalidatingMutation } from "../../components/crud";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import {
  type ArticleDraft,
  type ArticleOut,
  articleBody,
  audioUrl,
  draftOf,
  EMPTY_DRAFT,
  formatSeconds,
  validateDraft,
} from "./model";

const LIMIT = 25;
const KEY = ["knowledge"];

async function uploadAudio(articleId: string, file: File): Promise<ArticleOut> {
  const form = new FormData();
  form.append("file", file);
  const response = await fetch(`/api/v1/knowledge/articles/${encodeURIComponent(articleId)}/audio`, {
    method: "PUT",
    body: form,
    credentials: "same-origin",
  });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw new ProblemError(toProblem(response.status, body, response.statusText));
  return body as ArticleOut;
}

export function KnowledgePage() {
  const { t, i18n } = useTranslation();
  const { me } = useSession();
  const writer = can(me.role, "knowledge.write");
  const [q, setQ] = useState("");
  const [category, setCategory] = useState<string | null>(null);
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState<ArticleOut | "new" | null>(null);
  const [reading, setReading] = useState<string | null>(null);
  const [debounced] = useDebouncedValue(q, 250);
  const query = { q: debounced, limit: LIMIT, offset, ...(category !== null ? { category } : {}) };
  const list = useQuery({
    queryKey: [...KEY, "search", query],
    queryFn: () => data(api.GET("/api/v1/knowledge/articles", { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const categories = useQuery({
    queryKey: [...KEY, "categories"],
    queryFn: () => data(api.GET("/api/v1/knowledge/categories")),
  });
  const remove = useInvalidatingMutation([KEY], (id: string) =>
    data(api.DELETE("/api/v1/knowledge/articles/{article_id}", { params: { path: { article_id: id } } })),
  );
  const open = async (id: string) => {
    const article = await data(
      api.GET("/api/v1/knowledge/articles/{article_id}", { params: { path: { article_id: id } } }),
    );
    setEditing(article);
  };

  return (
    <>
      <PageHeader title={t("knowledge.title")}>
        {writer && (
          <Button onClick={() => setEditing("new")} data-testid="kb-new">
            {t("knowledge.newArticle")}
          </Button>
        )}
      </PageHeader>
      <Group align="flex-end" mb="md">
        <TextInput
          label={t("knowledge.search")}
          description={t("knowledge.searchHint")}
          value={q}
          onChange={(e) => {
            setQ(e.currentTarget.value);
            setOffset(0);
          }}
          w={420}
          data-testid="kb-search"
        />
        <Select
          label={t("knowledge.category")}
          placeholder={t("knowledge.allCategories")}
          data={(categories.data ?? []).filter((c) => c.name).map((c) => ({ value: c.name, label: `${c.name} (${c.articles})` }))}
          value={category}
          onChange={(v) => {
            setCategory(v);
            setOffset(0);
          }}
          clearable
          w={220}
        />
      </Group>
      <ErrorAlert error={list.error ?? remove.error} />
      <Table.ScrollContainer minWidth={800}>
        <Table striped data-testid="kb-table" fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("knowledge.articleTitle")}</Table.Th>
              <Table.Th>{t("knowledge.category")}</Table.Th>
              <Table.Th>{t("knowledge.keywords")}</Table.Th>
              <Table.Th>{t("knowledge.audio")}</Table.Th>
              <Table.Th>{t("knowledge.updated")}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.items.map((a) => (
              <Table.Tr key={a.id} data-testid="kb-row">
                <Table.Td>
                  <Button variant="subtle" size="compact-sm" onClick={() => setReading(reading === a.id ? null : a.id)}>
                    {a.title}
                  </Button>
                  <Text size="xs" c="dimmed" lineClamp={2}>
                    {a.excerpt}
                  </Text>
                  {reading === a.id && <ArticleReader id={a.id} />}
                </Table.Td>
                <Table.Td>{a.category}</Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {a.keywords.map((k) => (
                      <Badge key={k} variant="light" size="sm" tt="none">
                        {k}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>{a.audioSeconds !== null ? formatSeconds(a.audioSeconds) : "—"}</Table.Td>
                <Table.Td>{new Date(a.updatedAt).toLocaleString(i18n.language)}</Table.Td>
                <Table.Td>
                  {writer && (
                    <Group gap="xs" wrap="nowrap">
                      <Button size="xs" variant="light" onClick={() => void open(a.id)}>
                        {t("common.edit")}
                      </Button>
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        onClick={() => {
                          if (window.confirm(t("knowledge.deleteConfirm", { title: a.title }))) remove.mutate(a.id);
                        }}
                      >
                        {t("common.delete")}
                      </Button>
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {list.data && list.data.total === 0 && (
        <Text c="dimmed" mt="sm">
          {t("knowledge.noArticles")}
        </Text>
      )}
      {list.data && <Pager offset={offset} limit={LIMIT} total={list.data.total} onChange={setOffset} />}
      {editing !== null && (
        <ArticleEditor
          article={editing === "new" ? null : editing}
          onSaved={(saved) => setEditing(saved)}
          onClose={() => setEditing(null)}
        />
      )}
    </>
  );
}

/** The whole text and the recording, under a row. */
function ArticleReader({ id }: { id: string }) {
  const { t } = useTranslation();
  const article = useQuery({
    queryKey: [...KEY, "article", id],
    queryFn: () => data(api.GET("/api/v1/knowledge/articles/{article_id}", { params: { path: { article_id: id } } })),
  });
  if (!article.data) return <ErrorAlert error={article.error} />;
  return (
    <Stack gap="xs" mt="xs" data-testid="kb-reader">
      <Text size="sm" style={{ whiteSpace: "pre-wrap" }}>
        {article.data.body}
      </Text>
      {article.data.audio && (
        <audio
          controls
          preload="none"
          src={audioUrl(id, article.data.updatedAt)}
          aria-label={t("knowledge.play")}
          style={{ width: "100%", maxWidth: 420 }}
        />
      )}
    </Stack>
  );
}

function ArticleEditor({
  article,
  onSaved,
  onClose,
}: {
  article: ArticleOut | null;
  onSaved: (article: ArticleOut) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const businesses = useBusinessOptions();
  const [draft, setDraft] = useState<ArticleDraft>(article ? draftOf(article) : EMPTY_DRAFT);
  const [touched, setTouched] = useState(false);
  const errors = validateDraft(draft);
  const save = useInvalidatingMutation([KEY], (d: ArticleDraft) =>
    article
      ? data(
          api.PUT("/api/v1/knowledge/articles/{article_id}", {
            params: { path: { article_id: article.id } },
            body: articleBody(d),
          }),
        )
      : data(api.POST("/api/v1/knowledge/articles", { body: articleBody(d) })),
    (saved) => onSaved(saved),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (Object.keys(errors).length === 0) save.mutate(draft);
  };
  const set = (patch: Partial<ArticleDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const fieldError = (field: keyof typeof errors) =>
    touched && errors[field] ? t(`knowledge.errors.${errors[field]}`) : undefined;
  const afterAudio = async (saved: ArticleOut) => {
    await queryClient.invalidateQueries({ queryKey: KEY });
    onSaved(saved);
  };

  return (
    <FormModal opened onClose={onClose} title={article ? t("knowledge.editArticle") : t("knowledge.newArticle")} size="lg">
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <TextInput
            label={t("knowledge.articleTitle")}
            value={draft.title}
            onChange={(e) => set({ title: e.currentTarget.value })}
            error={fieldError("title")}
            required
            maxLength={200}
            data-testid="kb-title"
          />
          <Group grow>
            <TextInput
              label={t("knowledge.category")}
              value={draft.category}
              onChange={(e) => set({ category: e.currentTarget.value })}
              maxLength={100}
              data-testid="kb-category"
            />
            <Select
              label={t("knowledge.sharedWith")}
              data={[{ value: "", label: t("knowledge.everyone") }, ...(businesses.data ?? [])]}
              value={draft.businessId ?? ""}
              onChange={(v) => set({ businessId: v ? v : null })}
              allowDeselect={false}
            />
          </Group>
          <TextInput
            label={t("knowledge.keywords")}
            description={t("knowledge.keywordsHint")}
            value={draft.keywords}
            onChange={(e) => set({ keywords: e.currentTarget.value })}
            error={fieldError("keywords")}
            data-testid="kb-keywords"
          />
          <Textarea
            label={t("knowledge.body")}
            value={draft.body}
            onChange={(e) => set({ body: e.currentTarget.value })}
            error={fieldError("body")}
            autosize
            minRows={6}
            maxRows={16}
            data-testid="kb-body"
          />
          <ErrorAlert error={save.error} />
          <FormActions onCancel={onClose} loading={save.isPending} />
        </Stack>
      </form>
      {article && <AudioSection article={article} onChanged={(a) => void afterAudio(a)} />}
    </FormModal>
  );
}

function AudioSection({ article, onChanged }: { article: ArticleOut; onChanged: (a: ArticleOut) => void }) {
  const { t } = useTranslation();
  const [file, setFile] = useState<File | null>(null);
  const upload = useInvalidatingMutation([KEY], (f: File) => uploadAudio(article.id, f), (saved) => {
    setFile(null);
    onChanged(saved);
  });
  const remove = useInvalidatingMutation(
    [KEY],
    () => data(api.DELETE("/api/v1/knowledge/articles/{article_id}/audio", { params: { path: { article_id: article.id } } })),
    (saved) => onChanged(saved),
  );
  return (
    <Stack gap="xs" mt="lg" data-testid="kb-audio">
      <Title order={3} size="h5">
        {t("knowledge.audio")}
      </Title>
      {article.audio ? (
        <>
          <Text size="sm" data-testid="kb-audio-length">
            {t("knowledge.audioSaved", { seconds: article.audio.durationSeconds })} · {article.audio.filename}
          </Text>
          <audio
            controls
            preload="metadata"
            src={audioUrl(article.id, article.updatedAt)}
            aria-label={t("knowledge.play")}
            data-testid="kb-audio-player"
            style={{ width: "100%" }}
          />
        </>
      ) : (
        <Text size="sm" c="dimmed">
          {t("knowledge.noAudio")}
        </Text>
      )}
      <Group align="flex-end">
        <FileInput
          label={article.audio ? t("knowledge.replaceAudio") : t("knowledge.uploadAudio")}
          accept=".wav,.mp3,audio/wav,audio/mpeg"
          value={file}
          onChange={setFile}
          clearable
          w={300}
          data-testid="kb-audio-file"
        />
        <Button onClick={() => file && upload.mutate(file)} disabled={!file} loading={upload.isPending} data-testid="kb-audio-upload">
          {upload.isPending ? t("knowledge.uploading") : t("knowledge.uploadAudio")}
        </Button>
        {article.audio && (
          <Button variant="subtle" color="red" onClick={() => remove.mutate()} loading={remove.isPending}>
            {t("knowledge.removeAudio")}
          </Button>
        )}
      </Group>
      <ErrorAlert error={upload.error ?? remove.error} />
    </Stack>
  );
}

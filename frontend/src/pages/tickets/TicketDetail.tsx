// One ticket: its fields, the moves its status allows, assignment, comments, the reply to the
// customer and the callback, and the append-only history (CRM-5).
import { Alert, Badge, Button, Group, Select, Stack, Text, Textarea, Timeline, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, data } from "../../api/client";
import { ProblemError } from "../../api/problem";
import { can } from "../../auth/permissions";
import { useSession } from "../../auth/session";
import { useInvalidatingMutation } from "../../components/crud";
import { ErrorAlert } from "../../components/ErrorAlert";
import { CHANNELS, historyKey, isFinal, isOverdue, nextStatuses, type ReplyChannel, ticketRef } from "./model";
import { PriorityChip, StatusChip, TICKETS_KEY } from "./parts";

function useUserOptions(enabled: boolean) {
  return useQuery({
    queryKey: ["users", "ticket-assignees"],
    queryFn: () => data(api.GET("/api/v1/users", { params: { query: { limit: 200 } } })),
    select: (page) => page.items.map((u) => ({ value: u.id, label: u.displayName || u.email })),
    enabled,
  });
}

/** The server's refusal of a move, in the user's language. */
function useMoveError(error: unknown, from: string, to: string) {
  const { t } = useTranslation();
  if (error instanceof ProblemError && error.code === "invalid_transition") {
    return t("tickets.invalidTransition", { from: t(`tickets.statuses.${from as "open"}`), to: t(`tickets.statuses.${to as "open"}`) });
  }
  return null;
}

export function TicketDetailView({ ticketId }: { ticketId: string }) {
  const { t, i18n } = useTranslation();
  const { me } = useSession();
  const work = can(me.role, "tickets.work");
  const assignAny = can(me.role, "tickets.assign");
  const users = useUserOptions(assignAny);
  const detail = useQuery({
    queryKey: [...TICKETS_KEY, "detail", ticketId],
    queryFn: () => data(api.GET("/api/v1/tickets/{ticket_id}", { params: { path: { ticket_id: ticketId } } })),
  });
  const path = { params: { path: { ticket_id: ticketId } } };
  const [wanted, setWanted] = useState("");
  const move = useInvalidatingMutation([TICKETS_KEY], (status: string) => {
    setWanted(status);
    return data(api.POST("/api/v1/tickets/{ticket_id}/status", { ...path, body: { status: status as "open", note: "" } }));
  });
  const assign = useInvalidatingMutation([TICKETS_KEY], (assigneeId: string | null) =>
    data(api.POST("/api/v1/tickets/{ticket_id}/assign", { ...path, body: { assigneeId } })),
  );
  const [comment, setComment] = useState("");
  const addComment = useInvalidatingMutation(
    [TICKETS_KEY],
    () => data(api.POST("/api/v1/tickets/{ticket_id}/comments", { ...path, body: { text: comment } })),
    () => setComment(""),
  );
  const [reply, setReply] = useState("");
  const [channel, setChannel] = useState<ReplyChannel>("phone");
  const addReply = useInvalidatingMutation(
    [TICKETS_KEY],
    () => data(api.POST("/api/v1/tickets/{ticket_id}/replies", { ...path, body: { channel, text: reply } })),
    () => setReply(""),
  );
  const callback = useInvalidatingMutation([TICKETS_KEY], () => data(api.POST("/api/v1/tickets/{ticket_id}/callback", { ...path, body: {} })));
  const moveError = useMoveError(move.error, detail.data?.ticket.status ?? "", wanted);

  if (detail.error) return <ErrorAlert error={detail.error} />;
  const d = detail.data;
  if (!d) return <Text c="dimmed">{t("common.loading")}</Text>;
  const tk = d.ticket;
  const when = (at: string) => new Date(at).toLocaleString(i18n.language);
  const final = isFinal(tk.status);
  return (
    <Stack gap="sm" data-testid="ticket-detail">
      <Group gap="xs">
        <Text fw={700}>{ticketRef(tk.id)}</Text>
        <StatusChip status={tk.status} />
        <PriorityChip priority={tk.priority} />
        <Badge variant="outline">{t(`tickets.types.${tk.type as "consult"}`, { defaultValue: tk.type })}</Badge>
        {tk.replied && <Badge color="teal">{t("tickets.replied")}</Badge>}
        {isOverdue(tk) && <Badge color="red">{t("tickets.overdue")}</Badge>}
      </Group>
      <Title order={3} size="h4" data-testid="ticket-detail-subject">
        {tk.subject}
      </Title>
      {tk.description && <Text style={{ whiteSpace: "pre-wrap" }}>{tk.description}</Text>}
      <Text size="sm">
        {t("tickets.phone")}: <b data-testid="ticket-detail-phone">{tk.phone || "—"}</b>
        {tk.callKey && ` · ${t("tickets.call")}: ${tk.callKey.slice(0, 12)}`}
      </Text>
      <Text size="sm">
        {t("tickets.assignee")}: <span data-testid="ticket-detail-assignee">{tk.assigneeName ?? t("tickets.nobody")}</span> · {t("tickets.due")}: {tk.dueAt ? when(tk.dueAt) : "—"}
      </Text>
      <Text size="sm" c="dimmed">
        {t("tickets.createdBy")}: {tk.createdByName ?? "—"} · {when(tk.createdAt)}
      </Text>

      {work && !final && (
        <Group gap="xs" data-testid="ticket-moves">
          <Text size="sm">{t("tickets.moveTo")}:</Text>
          {nextStatuses(tk.status).map((s) => (
            <Button key={s} size="xs" variant="light" loading={move.isPending && wanted === s} onClick={() => move.mutate(s)} data-testid={`move-${s}`}>
              {t(`tickets.statuses.${s}`)}
            </Button>
          ))}
        </Group>
      )}
      {moveError ? <Alert color="red">{moveError}</Alert> : <ErrorAlert error={move.error} />}

      {work && !final && (
        <Group gap="xs" align="flex-end">
          {assignAny ? (
            <Select
              label={t("tickets.assign")}
              data={users.data ?? []}
              value={tk.assigneeId ?? null}
              onChange={(v) => assign.mutate(v)}
              clearable
              searchable
              w={240}
              data-testid="ticket-assign"
            />
          ) : (
            tk.assigneeId !== me.id && (
              <Button size="xs" variant="default" onClick={() => assign.mutate(me.id)}>
                {t("tickets.takeIt")}
              </Button>
            )
          )}
          {tk.phone && (
            <Button size="xs" variant="default" onClick={() => callback.mutate()} loading={callback.isPending} data-testid="ticket-callback">
              {t("tickets.callback")}
            </Button>
          )}
        </Group>
      )}
      <ErrorAlert error={assign.error ?? callback.error} />
      {callback.data && <Alert color="blue">{t("tickets.callbackStarted", { phone: callback.data.phone })}</Alert>}

      {work && !final && (
        <Stack gap={4}>
          <Title order={4} size="h5">
            {t("tickets.reply")}
          </Title>
          <Select
            label={t("tickets.replyChannel")}
            data={CHANNELS.map((c) => ({ value: c, label: t(`tickets.channels.${c}`) }))}
            value={channel}
            onChange={(v) => v && setChannel(v as ReplyChannel)}
            allowDeselect={false}
            w={240}
          />
          <Textarea label={t("tickets.replyText")} value={reply} onChange={(e) => setReply(e.currentTarget.value)} autosize minRows={2} data-testid="ticket-reply" />
          <Group justify="flex-end">
            <Button size="xs" disabled={!reply.trim()} loading={addReply.isPending} onClick={() => addReply.mutate()} data-testid="ticket-reply-save">
              {t("tickets.recordReply")}
            </Button>
          </Group>
          <ErrorAlert error={addReply.error} />
        </Stack>
      )}
      {work && (
        <Stack gap={4}>
          <Textarea label={t("tickets.comment")} value={comment} onChange={(e) => setComment(e.currentTarget.value)} autosize minRows={1} data-testid="ticket-comment" />
          <Group justify="flex-end">
            <Button size="xs" variant="light" disabled={!comment.trim()} loading={addComment.isPending} onClick={() => addComment.mutate()}>
              {t("tickets.addComment")}
            </Button>
          </Group>
          <ErrorAlert error={addComment.error} />
        </Stack>
      )}

      <Title order={4} size="h5">
        {t("tickets.historyTitle")}
      </Title>
      <Timeline bulletSize={12} lineWidth={2} data-testid="ticket-history">
        {d.history.map((e) => {
          const { key, values } = historyKey(e);
          const shown = { ...values };
          if (e.kind === "status" || e.kind === "created") {
            shown.old = t(`tickets.statuses.${e.old as "open"}`, { defaultValue: e.old });
            shown.new = t(`tickets.statuses.${e.new as "open"}`, { defaultValue: e.new });
          }
          if (e.kind === "priority") {
            shown.old = t(`tickets.priorities.${e.old as "low"}`, { defaultValue: e.old });
            shown.new = t(`tickets.priorities.${e.new as "low"}`, { defaultValue: e.new });
          }
          if (e.kind === "assigned" && e.new) {
            shown.who = users.data?.find((u) => u.value === e.new)?.label ?? (e.new === tk.assigneeId ? (tk.assigneeName ?? e.new) : e.new.slice(0, 8));
          }
          if (e.kind === "reply") shown.channel = t(`tickets.channels.${e.channel as "phone"}`, { defaultValue: e.channel });
          if (e.kind === "due" && e.new) shown.at = when(e.new);
          return (
            <Timeline.Item key={e.id} title={`${e.actorName ?? t("tickets.system")} ${t(key, shown)}`} data-testid="ticket-history-item" data-kind={e.kind}>
              {e.text && (
                <Text size="sm" style={{ whiteSpace: "pre-wrap" }}>
                  {e.text}
                </Text>
              )}
              <Text size="xs" c="dimmed">
                {when(e.at)}
              </Text>
            </Timeline.Item>
          );
        })}
      </Timeline>
    </Stack>
  );
}

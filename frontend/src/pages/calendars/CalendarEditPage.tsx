import { ActionIcon, Alert, Badge, Button, Group, Paper, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { useLocation, useNavigate, useParams } from "react-router-dom";

import { api, data } from "../../api/client";
import { can } from "../../auth/permissions";
import { useSession } from "../../auth/session";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageHeader } from "../../components/PageHeader";
import { defaultDraft, fromCalendar, isOvernight, toPayload, validate, zonedInstant, type CalendarDraft, type DraftErrors } from "./model";

export function CalendarEditPage() {
  const { t } = useTranslation();
  const { calendarId } = useParams();
  const existing = useQuery({
    queryKey: ["calendars", "one", calendarId],
    queryFn: () => data(api.GET("/api/v1/calendars/{calendar_id}", { params: { path: { calendar_id: calendarId! } } })),
    enabled: Boolean(calendarId),
  });
  if (calendarId && !existing.data) return <ErrorAlert error={existing.error} />;
  const draft = existing.data ? fromCalendar(existing.data) : defaultDraft();
  return (
    <>
      <PageHeader title={existing.data?.name ?? t("calendars.create")} />
      <Stack>
        <CalendarEditor key={existing.data?.id ?? "new"} id={calendarId} initial={draft} />
        {calendarId && existing.data && <OpenTester id={calendarId} timezone={existing.data.timezone} />}
      </Stack>
    </>
  );
}

function CalendarEditor({ id, initial }: { id?: string; initial: CalendarDraft }) {
  const { t } = useTranslation();
  const { me } = useSession();
  const writable = can(me.role, "settings.write");
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(initial);
  // A new calendar is saved, then opened at its own address: the message travels along.
  const [savedName, setSavedName] = useState<string | null>((location.state as { saved?: string } | null)?.saved ?? null);
  const [errors, setErrors] = useState<DraftErrors>({});
  const [touched, setTouched] = useState(false);
  useEffect(() => {
    if (touched) setErrors(validate(draft));
  }, [draft, touched]);

  const save = useMutation({
    mutationFn: () => {
      const body = toPayload(draft);
      return id
        ? data(api.PUT("/api/v1/calendars/{calendar_id}", { params: { path: { calendar_id: id } }, body }))
        : data(api.POST("/api/v1/calendars", { body }));
    },
    onMutate: () => setSavedName(null),
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: ["calendars"] });
      setSavedName(saved.name);
      if (!id) navigate(`/portal/calendars/${saved.id}`, { replace: true, state: { saved: saved.name } });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    const found = validate(draft);
    setErrors(found);
    if (Object.keys(found).length === 0) save.mutate();
  };
  const err = (path: string) => (errors[path] ? t(`calendars.errors.${errors[path]}`) : undefined);
  const weekdays = t("calendars.weekdays", { returnObjects: true }) as unknown as string[];
  const dayOptions = weekdays.map((label, i) => ({ value: String(i), label }));
  const patch = <K extends keyof CalendarDraft>(key: K, value: CalendarDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const editRow = <K extends "weekly" | "holidays" | "specialDays">(key: K, i: number, change: Partial<CalendarDraft[K][number]>) =>
    patch(key, draft[key].map((row, j) => (j === i ? { ...row, ...change } : row)) as CalendarDraft[K]);
  const dropRow = (key: "weekly" | "holidays" | "specialDays", i: number) =>
    patch(key, draft[key].filter((_, j) => j !== i) as never);

  return (
    <Paper withBorder p="lg">
      <form onSubmit={submit} noValidate>
        <fieldset disabled={!writable} style={{ border: 0, padding: 0, margin: 0 }}>
          <Stack>
            <ErrorAlert error={save.error} />
            {savedName && <Alert color="green">{t("calendars.saved", { name: savedName })}</Alert>}
            <SimpleGrid cols={2} maw={640}>
              <TextInput label={t("common.name")} value={draft.name} onChange={(e) => patch("name", e.currentTarget.value)} error={err("name")} required />
              <TextInput label={t("calendars.timezone")} value={draft.timezone} onChange={(e) => patch("timezone", e.currentTarget.value)} error={err("timezone")} required />
            </SimpleGrid>

            <Title order={3} size="h5">{t("calendars.weekly")}</Title>
            <Table maw={720} data-testid="weekly-hours">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t("calendars.weekday")}</Table.Th>
                  <Table.Th>{t("calendars.start")}</Table.Th>
                  <Table.Th>{t("calendars.end")}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {draft.weekly.map((r, i) => (
                  <Table.Tr key={i}>
                    <Table.Td>
                      <Select aria-label={`${t("calendars.weekday")} ${i + 1}`} data={dayOptions} value={String(r.weekday)} allowDeselect={false} onChange={(v) => v && editRow("weekly", i, { weekday: Number(v) })} w={150} />
                    </Table.Td>
                    <Table.Td>
                      <TextInput aria-label={`${t("calendars.start")} ${i + 1}`} type="time" value={r.start} onChange={(e) => editRow("weekly", i, { start: e.currentTarget.value })} error={err(`weekly.${i}.start`)} w={140} />
                    </Table.Td>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        <TextInput aria-label={`${t("calendars.end")} ${i + 1}`} type="time" value={r.end} onChange={(e) => editRow("weekly", i, { end: e.currentTarget.value })} error={err(`weekly.${i}.end`)} w={140} />
                        {isOvernight(r) && <Badge variant="light">{t("calendars.overnight")}</Badge>}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <RemoveButton label={`${t("common.remove")} ${weekdays[r.weekday]} ${r.start}`} onClick={() => dropRow("weekly", i)} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Button variant="default" w="fit-content" onClick={() => patch("weekly", [...draft.weekly, { weekday: 5, start: "09:00", end: "12:00" }])}>
              {t("calendars.addRange")}
            </Button>

            <Title order={3} size="h5">{t("calendars.holidays")}</Title>
            {draft.holidays.map((h, i) => (
              <Group key={i} align="start">
                <TextInput aria-label={`${t("calendars.date")} ${i + 1}`} type="date" value={h.date} onChange={(e) => editRow("holidays", i, { date: e.currentTarget.value })} error={err(`holidays.${i}.date`)} w={180} />
                <TextInput aria-label={`${t("common.name")} ${i + 1}`} value={h.name} onChange={(e) => editRow("holidays", i, { name: e.currentTarget.value })} w={240} />
                <RemoveButton label={`${t("common.remove")} ${h.date}`} onClick={() => dropRow("holidays", i)} />
              </Group>
            ))}
            <Button variant="default" w="fit-content" onClick={() => patch("holidays", [...draft.holidays, { date: "", name: "" }])}>
              {t("calendars.addHoliday")}
            </Button>

            <Title order={3} size="h5">{t("calendars.specialDays")}</Title>
            {draft.specialDays.map((d, i) => (
              <Group key={i} align="start">
                <TextInput aria-label={`${t("calendars.date")} ${i + 1}`} type="date" value={d.date} onChange={(e) => editRow("specialDays", i, { date: e.currentTarget.value })} error={err(`specialDays.${i}.date`)} w={180} />
                <TextInput aria-label={`${t("calendars.start")} ${i + 1}`} type="time" value={d.start} onChange={(e) => editRow("specialDays", i, { start: e.currentTarget.value })} error={err(`specialDays.${i}.start`)} w={130} />
                <TextInput aria-label={`${t("calendars.end")} ${i + 1}`} type="time" value={d.end} onChange={(e) => editRow("specialDays", i, { end: e.currentTarget.value })} error={err(`specialDays.${i}.end`)} w={130} />
                <TextInput aria-label={`${t("common.name")} ${i + 1}`} value={d.name} onChange={(e) => editRow("specialDays", i, { name: e.currentTarget.value })} w={200} />
                <RemoveButton label={`${t("common.remove")} ${d.date}`} onClick={() => dropRow("specialDays", i)} />
              </Group>
            ))}
            <Button variant="default" w="fit-content" onClick={() => patch("specialDays", [...draft.specialDays, { date: "", start: "09:00", end: "18:00", name: "" }])}>
              {t("calendars.addSpecial")}
            </Button>

            {writable && (
              <Button type="submit" loading={save.isPending} w="fit-content">
                {t("common.save")}
              </Button>
            )}
          </Stack>
        </fieldset>
      </form>
    </Paper>
  );
}

function RemoveButton({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <ActionIcon variant="subtle" color="red" size="lg" aria-label={label} title={label} onClick={onClick}>
      ×
    </ActionIcon>
  );
}

function OpenTester({ id, timezone }: { id: string; timezone: string }) {
  const { t } = useTranslation();
  const [local, setLocal] = useState("");
  const check = useMutation({
    mutationFn: () =>
      data(api.GET("/api/v1/calendars/{calendar_id}/open", { params: { path: { calendar_id: id }, query: { at: zonedInstant(local, timezone) } } })),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    check.mutate();
  };
  return (
    <Paper withBorder p="lg">
      <Title order={3} size="h5" mb="xs">{t("calendars.tester")}</Title>
      <form onSubmit={submit} noValidate>
        <Group align="end">
          <TextInput label={`${t("calendars.date")} (${timezone})`} description={t("calendars.testerHint")} type="datetime-local" value={local} onChange={(e) => setLocal(e.currentTarget.value)} w={260} />
          <Button type="submit" variant="light" disabled={!local} loading={check.isPending}>{t("calendars.testerCheck")}</Button>
        </Group>
      </form>
      <Stack mt="sm" gap="xs" aria-live="polite">
        <ErrorAlert error={check.error} />
        {check.data && (
          <Group data-testid="open-result">
            <Badge size="lg" color={check.data.open ? "green" : "gray"}>{check.data.open ? t("calendars.open") : t("calendars.closed")}</Badge>
            <Text size="sm">{t("calendars.rule", { rule: check.data.rule, time: check.data.localTime.slice(0, 16).replace("T", " ") })}</Text>
          </Group>
        )}
      </Stack>
    </Paper>
  );
}

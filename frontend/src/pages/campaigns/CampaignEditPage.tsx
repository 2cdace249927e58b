// One campaign: settings, lead lists (upload with live progress, error report), dispositions,
// the abandonment rate, and for notification campaigns the survey tally (DIAL-8). /portal/campaigns/new creates one, then opens its lead lists.
import { Anchor, Badge, Checkbox, Group, Paper, SimpleGrid, Stack, Tabs, Text, TextInput, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";

import { api, data, type Schemas } from "../../api/client";
import { can } from "../../auth/permissions";
import { useSession } from "../../auth/session";
import { DataTable, FormActions, useInvalidatingMutation } from "../../components/crud";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageHeader } from "../../components/PageHeader";
import { CampaignForm } from "./CampaignForm";
import { CAMPAIGNS, STATUS_COLORS, TransitionButtons, useCampaignTransition } from "./CampaignsPage";
import { LeadLists } from "./LeadLists";
import { percentLabel, tallyRows, type CampaignOut, type TallyRow } from "./model";

type Disposition = Schemas["DispositionOut"];
const TABS = ["settings", "lists", "dispositions", "abandonment", "survey"] as const;

export function CampaignEditPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const writable = can(me.role, "dialer.write");
  const { campaignId } = useParams();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const tab = TABS.find((x) => x === params.get("tab")) ?? "settings";
  const campaign = useQuery({
    queryKey: [...CAMPAIGNS, campaignId],
    queryFn: () => data(api.GET("/api/v1/dialer/campaigns/{campaign_id}", { params: { path: { campaign_id: campaignId ?? "" } } })),
    enabled: Boolean(campaignId),
  });
  const transition = useCampaignTransition();

  if (!campaignId) {
    return (
      <>
        <PageHeader title={t("dialer.newCampaign")} />
        <CampaignForm campaign={null} writable={writable} onSaved={(c) => navigate(`/portal/campaigns/${c.id}?tab=lists`)} />
      </>
    );
  }
  const c = campaign.data;
  const tabs = TABS.filter((x) => x !== "survey" || c?.mode === "notification");
  return (
    <>
      <Anchor component={Link} to="/portal/campaigns" size="sm">
        ← {t("dialer.title")}
      </Anchor>
      <PageHeader title={c?.name ?? t("common.loading")}>
        {c && (
          <>
            <Badge size="lg" color={STATUS_COLORS[c.status ?? "draft"]} data-testid="campaign-status">
              {t(`dialer.statuses.${c.status ?? "draft"}`)}
            </Badge>
            {writable && <TransitionButtons campaign={c} mutate={transition.mutate} pending={transition.isPending} />}
          </>
        )}
      </PageHeader>
      <ErrorAlert error={campaign.error ?? transition.error} />
      {c && (
        <Tabs value={tab} onChange={(v) => setParams(v && v !== "settings" ? { tab: v } : {}, { replace: true })} keepMounted={false}>
          <Tabs.List mb="md">
            {tabs.map((x) => (
              <Tabs.Tab key={x} value={x}>
                {t(`dialer.tabs.${x}`)}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          <Tabs.Panel value="settings">
            <CampaignForm key={c.id} campaign={c} writable={writable} onSaved={() => undefined} />
          </Tabs.Panel>
          <Tabs.Panel value="lists">
            <LeadLists campaignId={campaignId} writable={writable} />
          </Tabs.Panel>
          <Tabs.Panel value="dispositions">
            <Dispositions campaignId={campaignId} writable={writable} />
          </Tabs.Panel>
          <Tabs.Panel value="abandonment">
            <Abandonment campaign={c} />
          </Tabs.Panel>
          {c.mode === "notification" && (
            <Tabs.Panel value="survey">
              <SurveyResults campaign={c} />
            </Tabs.Panel>
          )}
        </Tabs>
      )}
    </>
  );
}

function Dispositions({ campaignId, writable }: { campaignId: string; writable: boolean }) {
  const { t } = useTranslation();
  const key = ["dialer", "dispositions", campaignId];
  const list = useQuery({
    queryKey: key,
    queryFn: () => data(api.GET("/api/v1/dialer/campaigns/{campaign_id}/dispositions", { params: { path: { campaign_id: campaignId } } })),
  });
  const blank = { code: "", label: "", isSuccess: false, isFinal: true };
  const [form, setForm] = useState(blank);
  const [error, setError] = useState<string | null>(null);
  const add = useInvalidatingMutation(
    [key],
    () => data(api.POST("/api/v1/dialer/campaigns/{campaign_id}/dispositions", { params: { path: { campaign_id: campaignId } }, body: { ...form, label: form.label.trim() } })),
    () => setForm(blank),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!/^[a-z0-9_]{1,40}$/.test(form.code)) return setError(t("dialer.errors.dispositionCode"));
    if (!form.label.trim()) return setError(t("dialer.errors.required"));
    setError(null);
    add.mutate();
  };
  const yes = (b: boolean | undefined) => (b ? t("common.yes") : t("common.no"));
  return (
    <Stack gap="md">
      <ErrorAlert error={list.error} />
      <DataTable<Disposition>
        testId="dispositions"
        rows={list.data}
        rowKey={(d) => d.id ?? d.code}
        empty={t("dialer.noDispositions")}
        columns={[
          { key: "code", header: t("dialer.code"), render: (d) => d.code },
          { key: "label", header: t("dialer.label"), render: (d) => d.label },
          { key: "success", header: t("dialer.isSuccess"), render: (d) => yes(d.isSuccess) },
          { key: "final", header: t("dialer.isFinal"), render: (d) => yes(d.isFinal) },
        ]}
      />
      {writable && (
        <Paper withBorder p="md">
          <Title order={3} size="h5" mb="xs">
            {t("dialer.addDisposition")}
          </Title>
          <form onSubmit={submit} noValidate>
            <Stack gap="sm">
              <ErrorAlert error={add.error} />
              {error && (
                <Text c="red" size="sm" role="alert">
                  {error}
                </Text>
              )}
              <SimpleGrid cols={2} spacing="sm">
                <TextInput label={t("dialer.code")} description={t("dialer.codeHint")} value={form.code} onChange={(e) => setForm({ ...form, code: e.currentTarget.value })} />
                <TextInput label={t("dialer.label")} value={form.label} onChange={(e) => setForm({ ...form, label: e.currentTarget.value })} />
              </SimpleGrid>
              <Group>
                <Checkbox label={t("dialer.isSuccess")} checked={form.isSuccess} onChange={(e) => setForm({ ...form, isSuccess: e.currentTarget.checked })} />
                <Checkbox label={t("dialer.isFinal")} description={t("dialer.isFinalHint")} checked={form.isFinal} onChange={(e) => setForm({ ...form, isFinal: e.currentTarget.checked })} />
              </Group>
              <FormActions submitLabel={t("common.add")} loading={add.isPending} />
            </Stack>
          </form>
        </Paper>
      )}
    </Stack>
  );
}

interface Rate {
  day: string | null;
  live: number;
  abandoned: number;
  rate: number;
}

function Abandonment({ campaign }: { campaign: CampaignOut }) {
  const { t } = useTranslation();
  const report = useQuery({
    queryKey: ["dialer", "abandonment", campaign.id],
    queryFn: async () => (await data(api.GET("/api/v1/dialer/campaigns/{campaign_id}/abandonment", { params: { path: { campaign_id: campaign.id ?? "" } } }))) as unknown as { days: Rate[]; last30: Rate },
    refetchInterval: campaign.status === "running" ? 30_000 : false,
  });
  const target = campaign.targetAbandonRate;
  const last30 = report.data?.last30;
  const over = last30 ? last30.rate > target : false;
  return (
    <Stack gap="md">
      <ErrorAlert error={report.error} />
      {last30 && (
        <Paper withBorder p="md" data-testid="abandonment">
          <Text size="sm" c="dimmed">
            {t("dialer.abandonLast30")}
          </Text>
          <Group align="baseline" gap="sm">
            <Text fz={32} fw={700} c={over ? "red" : "green"}>
              {percentLabel(last30.rate)}
            </Text>
            <Text size="sm">{t("dialer.abandonTarget", { target: percentLabel(target) })}</Text>
          </Group>
          <Text size="sm">{t("dialer.abandonCounts", { abandoned: last30.abandoned, live: last30.live })}</Text>
        </Paper>
      )}
      <DataTable<Rate>
        testId="abandonment-days"
        rows={report.data?.days}
        rowKey={(r) => r.day ?? "total"}
        empty={t("dialer.noAttempts")}
        columns={[
          { key: "day", header: t("dialer.day"), render: (r) => r.day },
          { key: "live", header: t("dialer.live"), render: (r) => r.live },
          { key: "abandoned", header: t("dialer.abandoned"), render: (r) => r.abandoned },
          { key: "rate", header: t("dialer.rate"), render: (r) => <Text size="sm" c={r.rate > target ? "red" : undefined}>{percentLabel(r.rate)}</Text> },
        ]}
      />
    </Stack>
  );
}

function SurveyResults({ campaign }: { campaign: CampaignOut }) {
  const { t } = useTranslation();
  const tally = useQuery({
    queryKey: ["dialer", "survey-tally", campaign.id],
    queryFn: () => data(api.GET("/api/v1/dialer/campaigns/{campaign_id}/survey-tally", { params: { path: { campaign_id: campaign.id ?? "" } } })),
    refetchInterval: campaign.status === "running" ? 15_000 : false,
  });
  const d = tally.data;
  return (
    <Stack gap="md">
      <ErrorAlert error={tally.error} />
      {d && (
        <Paper withBorder p="md" data-testid="survey-tally">
          {d.attempts === 0 ? (
            <Text size="sm">{t("dialer.noTally")}</Text>
          ) : (
            <SimpleGrid cols={3}>
              <Stack gap={0}>
                <Text size="sm" c="dimmed">
                  {t("dialer.tallyDelivered")}
                </Text>
                <Text fz={28} fw={700} data-testid="tally-delivered">
                  {d.delivered}
                </Text>
                <Text size="xs">
                  {t("dialer.tallyPeople")} {d.deliveredToPeople} · {t("dialer.tallyMachines")} {d.leftOnMachines}
                </Text>
              </Stack>
              <Stack gap={0}>
                <Text size="sm" c="dimmed">
                  {t("dialer.tallyNotAnswered")}
                </Text>
                <Text fz={28} fw={700}>
                  {d.notAnswered}
                </Text>
              </Stack>
              <Text size="sm">{t("dialer.tallyAnswered", { answered: d.answered, noKey: d.noKey })}</Text>
            </SimpleGrid>
          )}
        </Paper>
      )}
      <DataTable<TallyRow>
        testId="survey-keys"
        rows={d ? tallyRows(d) : undefined}
        rowKey={(r) => r.key}
        empty={t("dialer.noTally")}
        columns={[
          { key: "key", header: t("dialer.tallyKey"), render: (r) => r.key },
          { key: "label", header: t("dialer.tallyMeaning"), render: (r) => r.label },
          { key: "count", header: t("dialer.tallyCount"), render: (r) => r.count },
          { key: "share", header: t("dialer.tallyShare"), render: (r) => percentLabel(r.share) },
        ]}
      />
    </Stack>
  );
}

// Outbound campaigns (DIAL-1, DIAL-5, DIAL-9): the list with status and start / pause / finish.
import { Badge, Button, Group } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link } from "react-router-dom";

import { api, data } from "../../api/client";
import { can } from "../../auth/permissions";
import { useSession } from "../../auth/session";
import { DataTable, useInvalidatingMutation } from "../../components/crud";
import { ErrorAlert } from "../../components/ErrorAlert";
import { PageHeader } from "../../components/PageHeader";
import { allowedActions, type CampaignOut } from "./model";

export const CAMPAIGNS = ["dialer", "campaigns"] as const;

export const STATUS_COLORS: Record<string, string> = { draft: "gray", running: "green", paused: "yellow", finished: "blue" };

/** Start / pause / finish a campaign; shared by the list and the campaign's page. */
export function useCampaignTransition() {
  return useInvalidatingMutation([CAMPAIGNS], ({ id, action }: { id: string; action: "start" | "pause" | "finish" }) => {
    const params = { params: { path: { campaign_id: id } } };
    if (action === "start") return data(api.POST("/api/v1/dialer/campaigns/{campaign_id}/start", params));
    if (action === "pause") return data(api.POST("/api/v1/dialer/campaigns/{campaign_id}/pause", params));
    return data(api.POST("/api/v1/dialer/campaigns/{campaign_id}/finish", params));
  });
}

export function TransitionButtons({ campaign, mutate, pending }: { campaign: CampaignOut; mutate: (args: { id: string; action: "start" | "pause" | "finish" }) => void; pending?: boolean }) {
  const { t } = useTranslation();
  const colors = { start: "green", pause: "yellow", finish: "gray" } as const;
  return (
    <>
      {allowedActions(campaign.status ?? "draft").map((action) => (
        <Button
          key={action}
          size="xs"
          variant="light"
          color={colors[action]}
          disabled={pending}
          aria-label={`${t(`dialer.actions.${action}`)}: ${campaign.name}`}
          onClick={() => campaign.id && mutate({ id: campaign.id, action })}
        >
          {t(`dialer.actions.${action}`)}
        </Button>
      ))}
    </>
  );
}

export function CampaignsPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  const writable = can(me.role, "dialer.write");
  const campaigns = useQuery({ queryKey: CAMPAIGNS, queryFn: () => data(api.GET("/api/v1/dialer/campaigns")) });
  const transition = useCampaignTransition();
  const remove = useInvalidatingMutation([CAMPAIGNS], (id: string) =>
    data(api.DELETE("/api/v1/dialer/campaigns/{campaign_id}", { params: { path: { campaign_id: id } } })),
  );
  const windows = (c: CampaignOut) => (c.windows ?? []).map((w) => `${w.start}–${w.end}`).join(", ") || "—";

  return (
    <>
      <PageHeader title={t("dialer.title")}>
        {writable && (
          <Button component={Link} to="/portal/campaigns/new">
            {t("dialer.newCampaign")}
          </Button>
        )}
      </PageHeader>
      <ErrorAlert error={campaigns.error ?? transition.error ?? remove.error} />
      <DataTable<CampaignOut>
        testId="campaigns-table"
        rows={campaigns.data}
        rowKey={(c) => c.id ?? c.name}
        empty={t("dialer.noCampaigns")}
        columns={[
          {
            key: "name",
            header: t("common.name"),
            render: (c) => (
              <Button component={Link} to={`/portal/campaigns/${c.id}`} variant="subtle" size="compact-sm" px={0}>
                {c.name}
              </Button>
            ),
          },
          { key: "mode", header: t("dialer.mode"), render: (c) => t(`dialer.modes.${c.mode}`) },
          {
            key: "status",
            header: t("dialer.status"),
            render: (c) => <Badge color={STATUS_COLORS[c.status ?? "draft"]}>{t(`dialer.statuses.${c.status ?? "draft"}`)}</Badge>,
          },
          { key: "windows", header: t("dialer.windows"), render: (c) => `${windows(c)} (${c.timezone})` },
          { key: "ratio", header: t("dialer.ratio"), render: (c) => (c.manualRatio ? `${c.manualRatio}:1` : t("dialer.autoRatio", { max: c.maxRatio })) },
          {
            key: "actions",
            header: t("common.actions"),
            show: writable,
            render: (c) => (
              <Group gap="xs" wrap="nowrap">
                <TransitionButtons campaign={c} mutate={transition.mutate} pending={transition.isPending} />
                {c.status !== "running" && (
                  <Button size="xs" color="red" variant="subtle" onClick={() => c.id && remove.mutate(c.id)} aria-label={`${t("common.delete")}: ${c.name}`}>
                    {t("common.delete")}
                  </Button>
                )}
              </Group>
            ),
          },
        ]}
      />
    </>
  );
}

// The portal's frame: header (brand, language, user, sign out) and navigation by role.
import { Anchor, AppShell, Burger, Button, Group, NavLink, ScrollArea, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useTranslation } from "react-i18next";
import { Link, Outlet, useLocation } from "react-router-dom";

import { navFor, type NavItem } from "../auth/permissions";
import { useSession, useSignOut } from "../auth/session";
import { LanguageSwitch } from "../components/LanguageSwitch";

const SECTIONS: NavItem["section"][] = ["portal", "settings", "admin", "account"];

function isCurrent(item: NavItem, pathname: string): boolean {
  if (item.path === "/portal") return pathname === "/portal" || pathname === "/portal/";
  return pathname === item.path || pathname.startsWith(`${item.path}/`);
}

export function PortalLayout() {
  const { t } = useTranslation();
  const { me, tenant } = useSession();
  const signOut = useSignOut();
  const { pathname } = useLocation();
  const [opened, { toggle, close }] = useDisclosure();
  const items = navFor(me.role);

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 240, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="md"
    >
      <a className="skip-link" href="#main">
        {t("common.skipToContent")}
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t("common.menu")} />
            <Anchor component={Link} to="/portal" fw={700} size="lg" underline="never">
              {t("app.name")}
            </Anchor>
            {tenant && (
              <Text size="sm" c="dimmed" data-testid="tenant-slug">
                {tenant}
              </Text>
            )}
          </Group>
          <Group gap="sm" wrap="nowrap">
            <LanguageSwitch />
            <Text size="sm" visibleFrom="sm" data-testid="current-user">
              {me.displayName} · {t(`roles.${me.role}`)}
            </Text>
            <Button size="xs" variant="default" onClick={() => void signOut()}>
              {t("common.signOut")}
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label={t("common.menu")}>
        <ScrollArea>
          <nav data-testid="main-nav">
            {SECTIONS.map((section) => {
              const inSection = items.filter((item) => item.section === section);
              if (inSection.length === 0) return null;
              return (
                <div key={section}>
                  <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="sm" pb={4}>
                    {t(`nav.sections.${section}`)}
                  </Text>
                  {inSection.map((item) => (
                    <NavLink
                      key={item.key}
                      component={Link}
                      to={item.path}
                      label={t(`nav.${item.key}`)}
                      active={isCurrent(item, pathname)}
                      aria-current={isCurrent(item, pathname) ? "page" : undefined}
                      onClick={close}
                    />
                  ))}
                </div>
              );
            })}
          </nav>
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}

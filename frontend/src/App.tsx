// Routes per face: /portal (tenant admin), /seat (agent console), /wallboard, /ivr (flow
// builder: the flow list in the portal frame, the editor full-window).
import { lazy, Suspense } from "react";
import { Navigate, Route, Routes } from "react-router-dom";

import { RequireSession } from "./auth/session";
import { FullPageLoader } from "./components/FullPageLoader";
import { FlowsPage } from "./ivr/FlowsPage";
import { PortalLayout } from "./layout/PortalLayout";
import { AgentsPage } from "./pages/agents/AgentsPage";
import { ApiClientsPage } from "./pages/api/ApiClientsPage";
import { ConsentPage } from "./pages/api/ConsentPage";
import { WebhooksPage } from "./pages/api/WebhooksPage";
import { AuditPage } from "./pages/AuditPage";
import { BillingPage } from "./pages/billing/BillingPage";
import { BusinessesPage } from "./pages/BusinessesPage";
import { CalendarEditPage } from "./pages/calendars/CalendarEditPage";
import { CalendarsPage } from "./pages/calendars/CalendarsPage";
import { CallsPage } from "./pages/calls/CallsPage";
import { RecordingsPage } from "./pages/calls/RecordingsPage";
import { ReportsPage } from "./pages/calls/ReportsPage";
import { CampaignEditPage } from "./pages/campaigns/CampaignEditPage";
import { CampaignsPage } from "./pages/campaigns/CampaignsPage";
import { DashboardPage } from "./pages/DashboardPage";
import { KnowledgePage } from "./pages/knowledge/KnowledgePage";
import { ListsPage } from "./pages/ListsPage";
import { LoginPage } from "./pages/LoginPage";
import { NotFound } from "./pages/NotFound";
import { NumbersPage } from "./pages/NumbersPage";
import { TrunksPage } from "./pages/trunks/TrunksPage";
import { PasswordPage } from "./pages/PasswordPage";
import { ProfilePage } from "./pages/ProfilePage";
import { QueuesPage } from "./pages/queues/QueuesPage";
import { SecurityPage } from "./pages/SecurityPage";
import { SignupPage } from "./pages/SignupPage";
import { CustomersPage } from "./pages/customers/CustomersPage";
import { TicketsPage } from "./pages/tickets/TicketsPage";
import { UsersPage } from "./pages/UsersPage";
import { WallboardPage } from "./wallboard/WallboardPage";

// The flow builder brings React Flow: loaded when first opened, not with the portal.
// The seat console brings JsSIP: loaded when an agent opens it.
const SeatPage = lazy(() => import("./seat/SeatPage").then((m) => ({ default: m.SeatPage })));
const FlowEditorPage = lazy(() => import("./ivr/FlowEditorPage").then((m) => ({ default: m.FlowEditorPage })));

export function App() {
  return (
    <Routes>
      <Route path="/" element={<Navigate to="/portal" replace />} />
      <Route path="/login" element={<LoginPage />} />
      <Route path="/signup" element={<SignupPage />} />
      <Route
        path="/oauth/consent"
        element={
          <RequireSession>
            <ConsentPage />
          </RequireSession>
        }
      />
      <Route
        path="/portal"
        element={
          <RequireSession>
            <PortalLayout />
          </RequireSession>
        }
      >
        <Route index element={<DashboardPage />} />
        <Route path="users" element={<UsersPage />} />
        <Route path="businesses" element={<BusinessesPage />} />
        <Route path="numbers" element={<NumbersPage />} />
        <Route path="trunks" element={<TrunksPage />} />
        <Route path="calendars" element={<CalendarsPage />} />
        <Route path="calendars/new" element={<CalendarEditPage />} />
        <Route path="calendars/:calendarId" element={<CalendarEditPage />} />
        <Route path="lists" element={<ListsPage />} />
        <Route path="audit" element={<AuditPage />} />
        <Route path="calls" element={<CallsPage />} />
        <Route path="recordings" element={<RecordingsPage />} />
        <Route path="reports" element={<ReportsPage />} />
        <Route path="customers" element={<CustomersPage />} />
        <Route path="tickets" element={<TicketsPage />} />
        <Route path="knowledge" element={<KnowledgePage />} />
        <Route path="billing" element={<BillingPage />} />
        <Route path="queues" element={<QueuesPage />} />
        <Route path="agents" element={<AgentsPage />} />
        <Route path="campaigns" element={<CampaignsPage />} />
        <Route path="campaigns/new" element={<CampaignEditPage />} />
        <Route path="campaigns/:campaignId" element={<CampaignEditPage />} />
        <Route path="security" element={<SecurityPage />} />
        <Route path="api-clients" element={<ApiClientsPage />} />
        <Route path="webhooks" element={<WebhooksPage />} />
        <Route path="profile" element={<ProfilePage />} />
        <Route path="password" element={<PasswordPage />} />
        <Route path="*" element={<NotFound />} />
      </Route>
      <Route
        path="/ivr"
        element={
          <RequireSession>
            <PortalLayout />
          </RequireSession>
        }
      >
        <Route index element={<FlowsPage />} />
      </Route>
      <Route
        path="/ivr/flows/:flowId"
        element={
          <RequireSession>
            <Suspense fallback={<FullPageLoader />}>
              <FlowEditorPage />
            </Suspense>
          </RequireSession>
        }
      />
      <Route
        path="/seat/*"
        element={
          <RequireSession>
            <Suspense fallback={<FullPageLoader />}>
              <SeatPage />
            </Suspense>
          </RequireSession>
        }
      />
      <Route
        path="/wallboard"
        element={
          <RequireSession>
            <WallboardPage />
          </RequireSession>
        }
      />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

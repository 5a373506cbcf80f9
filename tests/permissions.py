"""What each REST route and Reflex handler asks of the caller's role.

tests/accounts/test_tenant_isolation.py tries every route and every handler listed in PERMISSIONS
as a member, an admin and an owner of one organization, and expects what the role table
(livchat/services/actors.py) says: allowed, or refused (403 / the translated error) with nothing
changed. A route or handler in neither dict fails that test: declare the permission its service
checks, or why it is not role-gated.
"""

from __future__ import annotations

# "METHOD /path" of a route behind an API key, or "State.handler": the permission its service checks.
PERMISSIONS: dict[str, str] = {
    # REST API v1
    "GET /api/v1/instances": "read",
    "POST /api/v1/instances": "manage_instances",
    "GET /api/v1/instances/{instance_id}": "read",
    "DELETE /api/v1/instances/{instance_id}": "manage_instances",
    "POST /api/v1/instances/{instance_id}/connect": "manage_instances",
    "POST /api/v1/instances/{instance_id}/disconnect": "manage_instances",
    "POST /api/v1/instances/{instance_id}/logout": "manage_instances",
    "GET /api/v1/instances/{instance_id}/qr": "manage_instances",
    "POST /api/v1/instances/{instance_id}/pairphone": "manage_instances",
    "GET /api/v1/instances/{instance_id}/status": "read",
    "PUT /api/v1/instances/{instance_id}/agent": "manage_instances",
    "POST /api/v1/instances/{instance_id}/messages": "use",
    "GET /api/v1/instances/{instance_id}/messages": "read",
    "GET /api/v1/messages/{message_id}": "read",
    "GET /api/v1/instances/{instance_id}/webhook": "read",
    "PUT /api/v1/instances/{instance_id}/webhook": "manage_webhooks",
    "DELETE /api/v1/instances/{instance_id}/webhook": "manage_webhooks",
    "POST /api/v1/instances/{instance_id}/webhook/rotate-secret": "manage_webhooks",
    "POST /api/v1/instances/{instance_id}/webhook/test": "manage_webhooks",
    "GET /api/v1/instances/{instance_id}/webhook/deliveries": "read",
    "GET /api/v1/webhook-deliveries/{delivery_id}": "read",
    "POST /api/v1/webhook-deliveries/{delivery_id}/redeliver": "manage_webhooks",
    "GET /api/v1/usage": "read",
    "GET /api/v1/me": "read",
    "GET /api/v1/organization": "read",
    # REST API v1: knowledge base
    "POST /api/v1/knowledge/files": "manage_knowledge",
    "POST /api/v1/knowledge/urls": "manage_knowledge",
    "GET /api/v1/knowledge/files": "read",
    "GET /api/v1/knowledge/files/{file_id}": "read",
    "DELETE /api/v1/knowledge/files/{file_id}": "manage_knowledge",
    "GET /api/v1/knowledge/search": "read",
    # REST API v1: support desk
    "GET /api/v1/conversations": "read",
    "GET /api/v1/conversations/{conversation_id}": "read",
    "GET /api/v1/conversations/{conversation_id}/messages": "read",
    "POST /api/v1/conversations/{conversation_id}/messages": "work_inbox",
    "POST /api/v1/conversations/{conversation_id}/attachments": "work_inbox",
    "GET /api/v1/conversations/{conversation_id}/attachments/{attachment_id}": "read",
    "POST /api/v1/conversations/{conversation_id}/escalate": "work_inbox",
    "POST /api/v1/conversations/{conversation_id}/resolve": "work_inbox",
    "POST /api/v1/conversations/{conversation_id}/reopen": "work_inbox",
    "POST /api/v1/conversations/{conversation_id}/read": "work_inbox",
    "GET /api/v1/conversations/{conversation_id}/contact": "read",
    "GET /api/v1/saved-replies": "read",
    "POST /api/v1/saved-replies": "work_inbox",
    "GET /api/v1/saved-replies/{saved_reply_id}": "read",
    "PATCH /api/v1/saved-replies/{saved_reply_id}": "work_inbox",
    "DELETE /api/v1/saved-replies/{saved_reply_id}": "work_inbox",
    # Dashboard: instances
    "InstancesState.create": "manage_instances",
    "InstancesState.show_qr": "manage_instances",
    "InstancesState.pair": "manage_instances",
    "InstancesState.disconnect": "manage_instances",
    "InstancesState.logout": "manage_instances",
    "InstancesState.delete": "manage_instances",
    "InstancesState.sync": "read",
    # Dashboard: one instance, its messages and its webhook
    "InstanceDetailState.send_message": "use",
    "InstanceDetailState.save_webhook": "manage_webhooks",
    "InstanceDetailState.rotate_secret": "manage_webhooks",
    "InstanceDetailState.send_test_event": "manage_webhooks",
    "InstanceDetailState.delete_webhook": "manage_webhooks",
    "InstanceDetailState.redeliver": "manage_webhooks",
    "InstanceDetailState.set_ai_answers": "manage_instances",
    # Dashboard: knowledge base and the AI agent
    "KnowledgeState.import_url": "manage_knowledge",
    "KnowledgeState.delete": "manage_knowledge",
    "KnowledgeState.reindex": "manage_knowledge",
    "KnowledgeState.search": "read",
    "AgentState.save": "manage_knowledge",
    "AgentState.ask": "read",  # the playground: reads the organization's knowledge base, stores nothing
    # Dashboard: API keys, members, notices
    "ApiKeysState.create": "manage_keys",
    "ApiKeysState.revoke": "manage_keys",
    "MembersState.invite": "manage_members",  # the probe invites a member
    "MembersState.revoke_invitation": "manage_members",  # a member's invitation
    "MembersState.remove": "manage_members",  # a member
    "MembersState.change_role": "manage_owners",  # the probe makes a member an owner
    "MembersState.make_owner": "transfer_ownership",
    "MembersState.leave": "read",
    "NoticesState.dismiss": "read",
    # Dashboard: the inbox (members, admins and owners all work it) and the widget's customization
    **dict.fromkeys([f"InboxState.{name}" for name in (
        "open", "refresh_conversation", "select_next", "select_previous", "escalate", "resolve", "reopen",
        "assign_to_me", "send", "typing", "create_saved_reply", "delete_saved_reply")], "work_inbox"),
    "WidgetSettingsState.save": "manage_widget",
    "WidgetSettingsState.remove_logo": "manage_widget",
    # The test panel's "keep this number": the anonymous instance joins the organization
    "KeepConnectionState.keep": "manage_instances",
    # Dashboard: billing (owners change the plan; the portal shows payment details)
    "BillingState.choose_plan": "manage_billing",
    "BillingState.open_portal": "manage_billing",
    # Dashboard: voice (the Vapi plugin; admins and owners connect, choose the widget's assistant, disconnect)
    "VoiceState.connect": "manage_settings",
    "VoiceState.choose": "manage_settings",
    "VoiceState.disconnect": "manage_settings",
}

_SHOWS = "shows the organization's data to any member; changes nothing"
_TAB = "changes only the tab (a filter, a form field, a panel, a shown secret)"
_SELF = "acts on the signed-in person's own session and organizations, not on this organization"
_PUBLIC = "a public page's (signed out: sign-in, sign-up, password reset, language)"
_PANEL = "the landing page's test panel: a visitor's own anonymous session, no organization"
_PHONE = "the simulated phone plays the contact's side in the sandbox: no organization data changes"
_VISITOR = ("the widget's visitor: acts only as the contact session its token names, in the page's organization "
            "(tests/accounts/test_tenant_isolation.py probes it with another organization's visitor)")

NOT_ROLE_GATED: dict[str, str] = {
    **dict.fromkeys([
        "InstancesState.load", "InstancesState.refresh", "InstanceDetailState.load", "InstanceDetailState.refresh",
        "InstanceDetailState.reload_deliveries", "InstanceDetailState.load_more_messages",
        "InstanceDetailState.load_more_deliveries", "InstanceDetailState.filter_deliveries",
        "InstanceDetailState.toggle_delivery", "ApiKeysState.load", "MembersState.load", "NoticesState.load",
        "NoticesState.refresh", "UsageState.load", "UsageState.refresh", "WebhooksOverviewState.load",
        "ShellState.load", "InboxState.load", "InboxState.refresh", "InboxState.set_status_filter",
        "InboxState.search", "InboxState.load_older", "InboxState.watch_conversation", "WidgetSettingsState.load",
        "WidgetSettingsState.reload",
        "BillingState.load", "BillingState.load_invoices",
        "BillingState.await_checkout",
        "AnalyticsState.load", "AnalyticsState.refresh", "AnalyticsState.choose_preset",
        "AnalyticsState.apply_custom", "AnalyticsState.choose_instance",
        "VoiceState.load", "VoiceState.load_vapi",
    ], _SHOWS),
    **dict.fromkeys([
        "KnowledgeState.load", "KnowledgeState.refresh", "KnowledgeState.load_more", "AgentState.load",
    ], _SHOWS),
    # the upload itself is POST /api/knowledge/files (role checked there); this only says how it went
    "KnowledgeState.upload_finished": _TAB,
    **dict.fromkeys(["AgentState.set_enabled", "AgentState.set_tone", "AgentState.set_instructions"], _TAB),
    **dict.fromkeys([
        "InstancesState.close_linking", "InstanceDetailState.toggle_event", "InstanceDetailState.set_webhook_url",
        "InstanceDetailState.dismiss_secret", "ApiKeysState.dismiss_secret", "InboxState.back",
        "InboxState.insert_saved_reply", *[f"WidgetSettingsState.set_{name}" for name in (
            "greeting", "suggestions", "primary_color", "accent_color", "position", "locale", "allowed_origins")],
        "AnalyticsState.set_tab",
    ], _TAB),
    **dict.fromkeys([
        "ShellState.switch_organization", "ShellState.sign_out", "OrganizationsState.load", "OrganizationsState.open",
        "OrganizationsState.create", "InviteState.load", "InviteState.accept", "VisitorState.check",
    ], _SELF),
    **dict.fromkeys([
        "SignInState.load", "SignInState.sign_in", "SignUpState.load", "SignUpState.sign_up",
        "PasswordResetState.load", "PasswordResetState.request_link", "PasswordResetState.save_password",
        "LangState.set_language", "LangState.detect_browser_language", "LangState.set_browser_language",
    ], _PUBLIC),
    **dict.fromkeys([f"PanelState.{name}" for name in (
        "start", "resume", "new_session", "dismiss", "sync", "show_qr", "pair", "watch_code", "use_pairing",
        "new_code", "set_tab", "copied", "send", "set_phone", "set_to", "set_message")]
        + ["PanelFeed.link", "KeepConnectionState.load"], _PANEL),
    **dict.fromkeys(["PricingState.set_instances", "PricingState.step"], _PUBLIC),
    **dict.fromkeys([
        "SandboxPhoneState.set_phone", "SandboxPhoneState.set_qr_payload", "SandboxPhoneState.set_pairing_code",
        "SandboxPhoneState.set_sender", "SandboxPhoneState.set_text", "SandboxPhoneState.set_active_session",
        "SandboxPhoneState.refresh", "SandboxPhoneState.use_anonymous_token", "SandboxPhoneState.poll",
        "SandboxPhoneState.link_session", "SandboxPhoneState.link_qr", "SandboxPhoneState.link_code",
        "SandboxPhoneState.send", "SandboxPhoneState.mark", "SandboxPhoneState.disconnect",
        "SandboxPhoneState.reconnect", "SandboxPhoneState.logout",
    ], _PHONE),
    **dict.fromkeys([f"WidgetState.{name}" for name in (
        "load", "boot", "refresh", "unread", "start", "send", "ask", "set_draft", "attach", "attached",
        "voice_call", "voice_started", "voice_ended", "voice_hang_up")], _VISITOR),
}

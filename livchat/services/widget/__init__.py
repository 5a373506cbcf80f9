"""The website widget: contact sessions (the visitor's credential), the visitor's side of a
conversation, the widget's customization, and its rate limits. The /widget page and the widget
client API (/api/widget) call the same functions.

Visitor (the page keeps the `lc_ct_…` token; resolve it on each event):
- sessions.create_session(session, organization_id, name, email, metadata, ip=, user_agent=,
  previous_token=) -> CreatedSession(row, token, visitor); pass the expired token as
  `previous_token` so the new session continues the same contact
- sessions.resolve(session, token) -> Visitor (ContactTokenInvalid / ContactSessionExpired: 401)
- visitor.send_message(session, visitor, text) / send_attachment(session, visitor, checked, text)
- visitor.messages(session, visitor, after=None) -> VisitorMessages (data + conversation status)
- visitor.mark_seen / visitor.set_typing(session, visitor, typing)
- limits.session_creation(ip) / limits.message(contact_session_id, ip) / limits.attachment(...) /
  limits.read(...): call before the action; RateLimited (429) when refused

Customization (admins: `manage_widget`):
- customization.public_settings(session, organization_id, language=None) -> PublicSettings (the default
  greeting in `language`, the visitor's, when given; else in the widget's default language)
- customization.get_settings(session, actor) / update_settings(session, actor, WidgetSettingsUpdate)
- customization.upload_logo(session, actor, data) / remove_logo / embed_snippet(organization_id, ...)
"""

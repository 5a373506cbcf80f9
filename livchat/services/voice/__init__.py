"""The Vapi voice plugin (Dashboard → Voice, and the widget's call button).

Connection (connection.py; `read` to look, `manage_settings` to change):
- settings_of(session, actor) -> VoiceSettingsOut (keys shown by their last 4 characters only)
- connect(session, actor, private_key, public_key): checked with Vapi (GET /assistant), stored encrypted
- assistants(session, actor) / phone_numbers(session, actor): listed from Vapi
- choose_assistant(session, actor, assistant_id) ("" turns the widget's call button off)
- disconnect(session, actor): the keys and the choice are deleted
- widget_voice(session, organization_id) -> WidgetVoice | None: the public key and assistant only

Calls (calls.py), acting as the widget's resolved `Visitor`:
- claim(session, visitor, call_id) when the browser's call got its id
- record(session, visitor, call_id) when it ended: GET /call/{id}, then a record in the conversation
"""

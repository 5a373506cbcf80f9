EN = {
    "test_panel.errors.anonymous_session_expired": "Your test session has expired. Start a new one.",
    "test_panel.errors.not_connected_yet": "Connect WhatsApp first.",
}

PT_BR = {
    "test_panel.errors.anonymous_session_expired": "Sua sessão de teste expirou. Comece uma nova.",
    "test_panel.errors.not_connected_yet": "Conecte o WhatsApp primeiro.",
}

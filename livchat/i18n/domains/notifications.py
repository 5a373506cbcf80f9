"""Dashboard notices (and the emails that go with them): `notifications.<kind>.title|body`."""

EN = {
    "notifications.heading": "Notices",
    "notifications.dismiss": "Dismiss",
    "notifications.webhook_paused.title": "Your LivChat webhook was paused",
    "notifications.webhook_paused.body": (
        "The webhook {url} of instance {instance} has failed continuously for 24 hours, so LivChat paused it. "
        "Fix the endpoint, then save it again in the dashboard (or PUT it through the API) to resume; "
        "failed deliveries can be redelivered from the delivery log."),
}

PT_BR = {
    "notifications.heading": "Avisos",
    "notifications.dismiss": "Dispensar",
    "notifications.webhook_paused.title": "Seu webhook do LivChat foi pausado",
    "notifications.webhook_paused.body": (
        "O webhook {url} da instância {instance} falhou continuamente por 24 horas, então o LivChat o pausou. "
        "Corrija o endpoint e salve-o novamente no painel (ou com PUT pela API) para retomar; "
        "as entregas com falha podem ser reenviadas pelo registro de entregas."),
}

"""Errors of the public REST API that no other domain owns."""

EN = {
    "api.errors.usage_range_reversed": "`from` must be on or before `to`.",
    "api.errors.usage_range_too_long": "Ask for at most 366 days at a time.",
    "api.errors.invalid_cursor": "`cursor` must be a `nextCursor` this list returned.",
    "api.errors.invalid_idempotency_key": "The Idempotency-Key header must have 1 to 255 characters.",
    "api.errors.idempotency_key_reused": "This Idempotency-Key was first used with a different request.",
    "api.errors.idempotency_in_progress": "A request with this Idempotency-Key is still running; retry shortly.",
    "api.errors.rate_limited": "Too many requests; retry after the Retry-After header's seconds.",
    "api.errors.quota_exceeded": "The daily message quota is used up; upgrade or wait for the reset.",
    "api.errors.plan_limit": "Your plan's limit is reached; upgrade to add more.",
    "api.errors.outcome_unknown": "The first request with this Idempotency-Key stopped after it may have reached "
                                  "WhatsApp; it is not run again. Check the message history for the outcome.",
}

PT_BR = {
    "api.errors.usage_range_reversed": "`from` deve ser igual ou anterior a `to`.",
    "api.errors.usage_range_too_long": "Peça no máximo 366 dias de cada vez.",
    "api.errors.invalid_cursor": "`cursor` deve ser um `nextCursor` devolvido por esta lista.",
    "api.errors.invalid_idempotency_key": "O cabeçalho Idempotency-Key deve ter de 1 a 255 caracteres.",
    "api.errors.idempotency_key_reused": "Esta Idempotency-Key foi usada antes com outra requisição.",
    "api.errors.idempotency_in_progress": (
        "Uma requisição com esta Idempotency-Key ainda está em andamento; tente de novo em instantes."
    ),
    "api.errors.rate_limited": "Requisições demais; tente de novo após os segundos do cabeçalho Retry-After.",
    "api.errors.quota_exceeded": "A cota diária de mensagens acabou; faça upgrade ou aguarde a renovação.",
    "api.errors.plan_limit": "O limite do seu plano foi atingido; faça upgrade para adicionar mais.",
    "api.errors.outcome_unknown": "A primeira requisição com esta Idempotency-Key parou depois de talvez ter chegado "
                                  "ao WhatsApp; ela não é executada de novo. Veja o resultado no histórico de mensagens.",
}

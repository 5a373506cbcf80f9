"""Billing (Dashboard → Billing), its errors, the payment-failed notice, and the emails billing
and usage send (`accounts.email.<template>.subject|body`, composed in the recipient's language)."""

EN = {
    "billing.development_mode": "Development mode: no Stripe keys are set, so a plan change applies at once and "
                                "nothing is charged.",
    "billing.current": "Current plan",
    "billing.instances": "WhatsApp instances",
    "billing.over_limit": "More instances than the plan allows: they all keep working, but no new one can be "
                          "created until you upgrade or remove some.",
    "billing.extra_instances": "Extra instances billed",
    "billing.renews": "Renews on",
    "billing.past_due": "A payment failed. Update your payment method in the customer portal: the paid plan's "
                        "limits hold during the grace period, then the free plan's apply (nothing is deleted).",
    "billing.grace_until": "Grace period ends:",
    "billing.choose_starter": "Starter with the instances above",
    "billing.choose_scale": "Switch to Scale",
    "billing.scale_contact": "Scale: talk to us",
    "billing.choose_free": "Go back to Free",
    "billing.portal": "Manage in the customer portal",
    "billing.starter_hint": "Set the number of instances in the calculator: Starter includes 5, each one more is "
                            "billed monthly (prorated when you change it).",
    "billing.changed": "Your plan is updated.",
    "billing.awaiting_checkout": "Payment received. Your plan changes as soon as Stripe confirms it, usually "
                                 "within seconds.",
    "billing.owners_only": "Only the organization's owners change the plan.",
    "billing.invoices": "Invoices",
    "billing.invoices_development": "No invoices in development mode.",
    "billing.invoices_none": "No invoices yet.",
    "billing.invoice.number": "Invoice",
    "billing.invoice.date": "Date",
    "billing.invoice.amount": "Amount",
    "billing.invoice.status": "Status",
    "billing.invoice.link": "Link",
    "billing.invoice.open": "Open",
    "billing.status.active": "Active",
    "billing.status.trialing": "Trial",
    "billing.status.past_due": "Past due",
    "billing.status.canceled": "Canceled",
    "billing.status.paid": "Paid",
    "billing.status.open": "Open",
    "billing.status.draft": "Draft",
    "billing.status.void": "Void",
    "billing.status.uncollectible": "Uncollectible",
    "accounts.errors.free_organization_limit": "You already own as many free organizations as allowed. Upgrade "
                                               "one of them to a paid plan to create another.",
    "accounts.errors.billing_unavailable": "The payment provider could not be reached. Try again in a moment.",
    "accounts.errors.invalid_plan": "Choose Free, Starter or Scale.",
    "accounts.errors.invalid_instances": "Choose between 1 and 1000 instances.",
    "accounts.errors.scale_on_request": "Scale (21 instances or more) is sold on request: talk to us.",
    "accounts.errors.billing_development_mode": "There is no customer portal in development mode.",
    "accounts.errors.no_billing_account": "There is no billing account yet: choose a paid plan first.",
    "notifications.payment_failed.title": "A LivChat payment failed",
    "notifications.payment_failed.body": (
        "We could not charge your subscription. Update the payment method in the dashboard's Billing page "
        "(customer portal). Your plan's limits hold until {date}; after that the free plan's apply, and nothing "
        "is deleted."),
    "accounts.email.welcome.subject": "Welcome to LivChat",
    "accounts.email.welcome.body": (
        "Your organization {organization} is ready.\n\nConnect a WhatsApp number, create an API key and send "
        "your first message from the dashboard:\n\n{link}\n"),
    "accounts.email.usage_80.subject": "{organization} used 80% of today's LivChat messages",
    "accounts.email.usage_80.body": (
        "{organization} has sent {used} of the {limit} messages its plan allows today (UTC). Sends stop at the "
        "limit until midnight UTC; a paid plan has no daily limit:\n\n{link}\n"),
    "accounts.email.usage_100.subject": "{organization} reached today's LivChat message limit",
    "accounts.email.usage_100.body": (
        "{organization} has sent all {limit} messages its plan allows today (UTC). Further sends are refused "
        "until midnight UTC; a paid plan has no daily limit:\n\n{link}\n"),
}

PT_BR = {
    "billing.development_mode": "Modo de desenvolvimento: sem chaves do Stripe, a troca de plano vale na hora e "
                                "nada é cobrado.",
    "billing.current": "Plano atual",
    "billing.instances": "Instâncias de WhatsApp",
    "billing.over_limit": "Mais instâncias do que o plano permite: todas continuam funcionando, mas nenhuma nova "
                          "pode ser criada até você mudar de plano ou remover algumas.",
    "billing.extra_instances": "Instâncias extras cobradas",
    "billing.renews": "Renova em",
    "billing.past_due": "Um pagamento falhou. Atualize a forma de pagamento no portal do cliente: os limites do "
                        "plano pago valem durante o período de carência; depois valem os do plano grátis (nada é "
                        "apagado).",
    "billing.grace_until": "Fim do período de carência:",
    "billing.choose_starter": "Starter com as instâncias acima",
    "billing.choose_scale": "Mudar para Scale",
    "billing.scale_contact": "Scale: fale conosco",
    "billing.choose_free": "Voltar ao Grátis",
    "billing.portal": "Gerenciar no portal do cliente",
    "billing.starter_hint": "Defina o número de instâncias na calculadora: o Starter inclui 5, cada uma a mais é "
                            "cobrada por mês (proporcionalmente quando você muda).",
    "billing.changed": "Seu plano foi atualizado.",
    "billing.awaiting_checkout": "Pagamento recebido. Seu plano muda assim que o Stripe confirmar, em geral em "
                                 "segundos.",
    "billing.owners_only": "Só os proprietários da organização mudam o plano.",
    "billing.invoices": "Faturas",
    "billing.invoices_development": "Não há faturas no modo de desenvolvimento.",
    "billing.invoices_none": "Nenhuma fatura ainda.",
    "billing.invoice.number": "Fatura",
    "billing.invoice.date": "Data",
    "billing.invoice.amount": "Valor",
    "billing.invoice.status": "Situação",
    "billing.invoice.link": "Link",
    "billing.invoice.open": "Abrir",
    "billing.status.active": "Ativa",
    "billing.status.trialing": "Em teste",
    "billing.status.past_due": "Em atraso",
    "billing.status.canceled": "Cancelada",
    "billing.status.paid": "Paga",
    "billing.status.open": "Em aberto",
    "billing.status.draft": "Rascunho",
    "billing.status.void": "Anulada",
    "billing.status.uncollectible": "Incobrável",
    "accounts.errors.free_organization_limit": "Você já é proprietário do máximo de organizações grátis. Mude "
                                               "uma delas para um plano pago para criar outra.",
    "accounts.errors.billing_unavailable": "Não foi possível falar com o provedor de pagamento. Tente de novo "
                                           "em instantes.",
    "accounts.errors.invalid_plan": "Escolha Grátis, Starter ou Scale.",
    "accounts.errors.invalid_instances": "Escolha entre 1 e 1000 instâncias.",
    "accounts.errors.scale_on_request": "O Scale (21 instâncias ou mais) é sob consulta: fale conosco.",
    "accounts.errors.billing_development_mode": "Não há portal do cliente no modo de desenvolvimento.",
    "accounts.errors.no_billing_account": "Ainda não há conta de cobrança: escolha primeiro um plano pago.",
    "notifications.payment_failed.title": "Um pagamento do LivChat falhou",
    "notifications.payment_failed.body": (
        "Não conseguimos cobrar sua assinatura. Atualize a forma de pagamento na página Cobrança do painel "
        "(portal do cliente). Os limites do seu plano valem até {date}; depois valem os do plano grátis, e nada "
        "é apagado."),
    "accounts.email.welcome.subject": "Boas-vindas ao LivChat",
    "accounts.email.welcome.body": (
        "Sua organização {organization} está pronta.\n\nConecte um número de WhatsApp, crie uma chave de API e "
        "envie sua primeira mensagem pelo painel:\n\n{link}\n"),
    "accounts.email.usage_80.subject": "{organization} usou 80% das mensagens de hoje no LivChat",
    "accounts.email.usage_80.body": (
        "{organization} enviou {used} das {limit} mensagens que o plano permite hoje (UTC). Os envios param no "
        "limite até a meia-noite UTC; um plano pago não tem limite diário:\n\n{link}\n"),
    "accounts.email.usage_100.subject": "{organization} atingiu o limite de mensagens de hoje no LivChat",
    "accounts.email.usage_100.body": (
        "{organization} enviou todas as {limit} mensagens que o plano permite hoje (UTC). Novos envios são "
        "recusados até a meia-noite UTC; um plano pago não tem limite diário:\n\n{link}\n"),
}

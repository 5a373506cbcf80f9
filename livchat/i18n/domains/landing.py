"""The landing page (/), the pricing page (/pricing) and /test-panel/keep."""

EN = {
    "landing.footer": "LivChat — WhatsApp API and AI support desk",
    "landing.hero.title": "Link WhatsApp and send a message before you create an account",
    "landing.hero.subtitle": "A WhatsApp API with signed webhooks and a delivery log. Try it right here: link your "
                             "number by QR code or pairing code, send a test message and watch the webhook your "
                             "server would receive.",
    "landing.hero.cta_primary": "Try it now",
    "landing.hero.cta_docs": "Read the API docs",
    "landing.code.title": "The code you would write",
    "landing.code.subtitle": "One request sends a message. Every event reaches your server signed, so you can tell "
                             "it came from us and was not changed on the way.",
    "landing.code.send": "Send a message",
    "landing.code.verify": "Check a webhook signature",
    "landing.code.verify_body": "Standard Webhooks: HMAC-SHA256 over id, timestamp and the raw body, with the key "
                                "inside your whsec_ secret. The test panel above shows real signed deliveries and "
                                "their demo secret, so you can try this now.",
    "landing.code.copy": "Copy",
    "landing.code.copy_label": "Copy this code",
    "landing.code.docs": "Full API reference and quickstart →",
    "landing.features.title": "What you get",
    "landing.features.subtitle": "What works today, and what we are building next — said plainly.",
    "landing.features.available": "Available",
    "landing.features.building": "Being built",
    "landing.features.api.title": "WhatsApp API",
    "landing.features.api.body": "Instances linked by QR code or pairing code; text, media and location messages; "
                                 "idempotent sends; history, receipts and daily usage over a REST API.",
    "landing.features.webhooks.title": "Signed webhooks with a delivery log",
    "landing.features.webhooks.body": "Every event signed (Standard Webhooks), retried with backoff, written to a "
                                      "delivery log you can read and redeliver from. Secrets rotate without downtime.",
    "landing.features.test_panel.title": "Test panel",
    "landing.features.test_panel.body": "Link a number and send test messages with no account. Sign up and the "
                                        "connection comes with you — no second scan.",
    "landing.features.sandbox.title": "Offline sandbox",
    "landing.features.sandbox.body": "A simulated phone that speaks WuzAPI's protocol: build and test the whole flow "
                                     "on your laptop, no real number needed.",
    "landing.features.inbox.title": "Operator inbox",
    "landing.features.inbox.body": "Answer WhatsApp and website conversations from one live inbox, with assignment "
                                   "and saved replies.",
    "landing.features.widget.title": "Website chat widget",
    "landing.features.widget.body": "One script tag for a light, accessible chat on any site.",
    "landing.features.agent.title": "AI support agent",
    "landing.features.agent.body": "Answers from your own knowledge base and hands off to a person when it should.",
    "landing.faq.title": "Questions",
    "landing.faq.account.q": "Do I need an account to try it?",
    "landing.faq.account.a": "No. The test panel links your WhatsApp and sends up to 50 test messages a day without "
                             "an account. Your test session stays in this browser for 30 days after its last use.",
    "landing.faq.official.q": "Is this Meta's official WhatsApp Business API?",
    "landing.faq.official.a": "No. LivChat links your number as a linked device, the way WhatsApp Web does, through "
                              "WuzAPI. It is quick to start and needs no Meta approval; in return, use it for "
                              "messages people expect — bulk messages to strangers get numbers banned.",
    "landing.faq.keep.q": "What happens to my test connection when I sign up?",
    "landing.faq.keep.a": "Choose \"Create an account\" or \"Sign in\" in the panel: the linked number becomes an "
                          "instance of your organization, still connected, with the messages you sent. It counts "
                          "as one of your plan's numbers.",
    "landing.faq.webhooks.q": "How do I know a webhook really came from LivChat?",
    "landing.faq.webhooks.a": "Each delivery carries webhook-id, webhook-timestamp and webhook-signature (Standard "
                              "Webhooks) and x-hmac-signature for WuzAPI-style clients. Check them with the code "
                              "above; reject timestamps older than five minutes.",
    "landing.faq.phone.q": "Can I try it without a phone?",
    "landing.faq.phone.a": "On a server running the sandbox (the default on your laptop), yes: the simulated phone "
                           "at /sandbox scans your QR code, types your pairing code and writes to your number.",
    "landing.faq.billing.q": "How does billing work?",
    "landing.faq.billing.a": "Prices are per month, in Brazilian reais. Free stays free. Online checkout is being "
                             "built; until it is ready, our team switches paid plans on for you.",
    "pricing.title": "Pricing",
    "pricing.subtitle": "Start free. Pay for the WhatsApp numbers you connect — messages are not metered on paid "
                        "plans.",
    "pricing.per_month": "/month",
    "pricing.on_request": "On request",
    "pricing.cta": "Create an account",
    "pricing.free.name": "Free",
    "pricing.free.for": "To build and try.",
    "pricing.starter.name": "Starter",
    "pricing.starter.for": "For a business in production.",
    "pricing.scale.name": "Scale",
    "pricing.scale.for": "For many numbers and high volume.",
    "pricing.numbers": "{count} WhatsApp number",
    "pricing.numbers_included": "{count} WhatsApp numbers included",
    "pricing.numbers_from": "From {count} WhatsApp numbers",
    "pricing.extra": "{price}/month for each extra number",
    "pricing.messages_day": "{count} messages a day",
    "pricing.unlimited_messages": "Messages not metered",
    "pricing.sends": "Up to {count} sends a second per number",
    "pricing.api_webhooks": "REST API and signed webhooks",
    "pricing.test_panel": "Test panel and sandbox",
    "pricing.retries": "Webhooks retried for 24 hours",
    "pricing.setup_together": "Limits and set-up agreed with you",
    "pricing.calculator.title": "Price calculator",
    "pricing.calculator.label": "How many WhatsApp numbers?",
    "pricing.calculator.fewer": "One number fewer",
    "pricing.calculator.more": "One number more",
    "pricing.calculator.base": "Starter",
    "pricing.calculator.included": "({count} numbers included)",
    "pricing.calculator.scale": "Scale: on request",
    "pricing.calculator.scale_body": "That many numbers is a Scale plan: we agree the price and limits with you.",
    "pricing.calculator.free_note": "One number? Free covers it, with {count} messages a day.",
    "pricing.billing_note": "Prices in Brazilian reais (R$), per month.",
    "pricing.try_panel": "Try it first in the test panel →",
    "keep.title": "Keep your connection",
    "keep.working": "Moving your WhatsApp connection to your account…",
    "keep.dashboard": "Go to the dashboard",
    "keep.pricing": "See the plans",
    "keep.home": "Back to the test panel",
    "keep.plan_limit.title": "Your plan has no room for another number",
    "keep.plan_limit.body": "The test panel's number stays in the panel. Remove an instance or move to a plan with "
                            "more numbers, then come back to keep it.",
    "keep.forbidden.title": "Only an admin can add numbers",
    "keep.forbidden.body": "Your role in this organization cannot add WhatsApp instances. Ask an admin, or sign in "
                           "to an organization of your own.",
    "keep.expired.title": "The test session has ended",
    "keep.expired.body": "It expired, or it is already part of an account. Start a new one on the home page.",
    "keep.nothing.title": "There is no connection to keep",
    "keep.nothing.body": "This browser has no linked test-panel number. Your account is ready: add an instance from "
                         "the dashboard.",
}

PT_BR = {
    "landing.footer": "LivChat — API de WhatsApp e central de atendimento com IA",
    "landing.hero.title": "Conecte o WhatsApp e envie uma mensagem antes de criar a conta",
    "landing.hero.subtitle": "Uma API de WhatsApp com webhooks assinados e registro de entregas. Teste aqui mesmo: "
                             "conecte seu número por QR code ou código de pareamento, envie uma mensagem de teste e "
                             "veja o webhook que o seu servidor receberia.",
    "landing.hero.cta_primary": "Testar agora",
    "landing.hero.cta_docs": "Ler a documentação da API",
    "landing.code.title": "O código que você escreveria",
    "landing.code.subtitle": "Uma requisição envia uma mensagem. Todo evento chega ao seu servidor assinado, para "
                             "você saber que veio de nós e não foi alterado no caminho.",
    "landing.code.send": "Enviar uma mensagem",
    "landing.code.verify": "Conferir a assinatura de um webhook",
    "landing.code.verify_body": "Standard Webhooks: HMAC-SHA256 de id, timestamp e corpo bruto, com a chave que está "
                                "no seu segredo whsec_. O painel de teste acima mostra entregas assinadas de verdade "
                                "e o segredo de demonstração, para você testar agora.",
    "landing.code.copy": "Copiar",
    "landing.code.copy_label": "Copiar este código",
    "landing.code.docs": "Referência completa da API e primeiros passos →",
    "landing.features.title": "O que você recebe",
    "landing.features.subtitle": "O que já funciona e o que estamos construindo — dito com clareza.",
    "landing.features.available": "Disponível",
    "landing.features.building": "Em construção",
    "landing.features.api.title": "API de WhatsApp",
    "landing.features.api.body": "Instâncias conectadas por QR code ou código de pareamento; mensagens de texto, mídia "
                                 "e localização; envios idempotentes; histórico, confirmações e uso diário por API REST.",
    "landing.features.webhooks.title": "Webhooks assinados com registro de entregas",
    "landing.features.webhooks.body": "Todo evento assinado (Standard Webhooks), reenviado com backoff e gravado num "
                                      "registro de entregas que você consulta e reenvia. Segredos trocam sem parada.",
    "landing.features.test_panel.title": "Painel de teste",
    "landing.features.test_panel.body": "Conecte um número e envie mensagens de teste sem conta. Ao se cadastrar, a "
                                        "conexão vem junto — sem escanear de novo.",
    "landing.features.sandbox.title": "Sandbox offline",
    "landing.features.sandbox.body": "Um celular simulado que fala o protocolo do WuzAPI: construa e teste todo o fluxo "
                                     "no seu notebook, sem número real.",
    "landing.features.inbox.title": "Caixa de entrada para atendentes",
    "landing.features.inbox.body": "Responda conversas do WhatsApp e do site numa caixa de entrada ao vivo, com "
                                   "atribuição e respostas salvas.",
    "landing.features.widget.title": "Widget de chat para sites",
    "landing.features.widget.body": "Uma tag de script para um chat leve e acessível em qualquer site.",
    "landing.features.agent.title": "Agente de atendimento com IA",
    "landing.features.agent.body": "Responde com a sua própria base de conhecimento e passa para uma pessoa quando deve.",
    "landing.faq.title": "Perguntas",
    "landing.faq.account.q": "Preciso de conta para testar?",
    "landing.faq.account.a": "Não. O painel de teste conecta seu WhatsApp e envia até 50 mensagens de teste por dia "
                             "sem conta. Sua sessão de teste fica neste navegador por 30 dias após o último uso.",
    "landing.faq.official.q": "É a API oficial do WhatsApp Business, da Meta?",
    "landing.faq.official.a": "Não. O LivChat conecta seu número como aparelho conectado, como o WhatsApp Web, por "
                              "meio do WuzAPI. Começa rápido e não precisa de aprovação da Meta; em troca, use para "
                              "mensagens que as pessoas esperam — mensagens em massa para desconhecidos fazem "
                              "números serem banidos.",
    "landing.faq.keep.q": "O que acontece com a minha conexão de teste quando eu me cadastro?",
    "landing.faq.keep.a": "Escolha \"Criar conta\" ou \"Entrar\" no painel: o número conectado vira uma instância da "
                          "sua organização, ainda conectada, com as mensagens que você enviou. Ele conta como um dos "
                          "números do seu plano.",
    "landing.faq.webhooks.q": "Como sei que um webhook veio mesmo do LivChat?",
    "landing.faq.webhooks.a": "Cada entrega traz webhook-id, webhook-timestamp e webhook-signature (Standard Webhooks) "
                              "e x-hmac-signature para clientes no estilo WuzAPI. Confira com o código acima; recuse "
                              "timestamps com mais de cinco minutos.",
    "landing.faq.phone.q": "Dá para testar sem celular?",
    "landing.faq.phone.a": "Num servidor com o sandbox (o padrão no seu notebook), sim: o celular simulado em /sandbox "
                           "escaneia seu QR code, digita seu código de pareamento e escreve para o seu número.",
    "landing.faq.billing.q": "Como funciona a cobrança?",
    "landing.faq.billing.a": "Os preços são mensais, em reais. O plano Free continua grátis. O pagamento online está "
                             "em construção; até lá, nossa equipe ativa os planos pagos para você.",
    "pricing.title": "Preços",
    "pricing.subtitle": "Comece grátis. Pague pelos números de WhatsApp que conectar — nos planos pagos as mensagens "
                        "não são cobradas.",
    "pricing.per_month": "/mês",
    "pricing.on_request": "Sob consulta",
    "pricing.cta": "Criar conta",
    "pricing.free.name": "Free",
    "pricing.free.for": "Para construir e testar.",
    "pricing.starter.name": "Starter",
    "pricing.starter.for": "Para uma empresa em produção.",
    "pricing.scale.name": "Scale",
    "pricing.scale.for": "Para muitos números e alto volume.",
    "pricing.numbers": "{count} número de WhatsApp",
    "pricing.numbers_included": "{count} números de WhatsApp incluídos",
    "pricing.numbers_from": "A partir de {count} números de WhatsApp",
    "pricing.extra": "{price}/mês por número adicional",
    "pricing.messages_day": "{count} mensagens por dia",
    "pricing.unlimited_messages": "Mensagens sem cobrança por volume",
    "pricing.sends": "Até {count} envios por segundo por número",
    "pricing.api_webhooks": "API REST e webhooks assinados",
    "pricing.test_panel": "Painel de teste e sandbox",
    "pricing.retries": "Webhooks reenviados por 24 horas",
    "pricing.setup_together": "Limites e implantação combinados com você",
    "pricing.calculator.title": "Calculadora de preço",
    "pricing.calculator.label": "Quantos números de WhatsApp?",
    "pricing.calculator.fewer": "Um número a menos",
    "pricing.calculator.more": "Um número a mais",
    "pricing.calculator.base": "Starter",
    "pricing.calculator.included": "({count} números incluídos)",
    "pricing.calculator.scale": "Scale: sob consulta",
    "pricing.calculator.scale_body": "Essa quantidade de números é um plano Scale: combinamos preço e limites com você.",
    "pricing.calculator.free_note": "Um número só? O Free atende, com {count} mensagens por dia.",
    "pricing.billing_note": "Preços em reais (R$), por mês.",
    "pricing.try_panel": "Teste antes no painel de teste →",
    "keep.title": "Manter sua conexão",
    "keep.working": "Levando sua conexão de WhatsApp para a sua conta…",
    "keep.dashboard": "Ir para o painel",
    "keep.pricing": "Ver os planos",
    "keep.home": "Voltar ao painel de teste",
    "keep.plan_limit.title": "Seu plano não tem espaço para outro número",
    "keep.plan_limit.body": "O número do painel de teste continua no painel. Remova uma instância ou mude para um "
                            "plano com mais números e volte para mantê-lo.",
    "keep.forbidden.title": "Só um administrador pode adicionar números",
    "keep.forbidden.body": "Seu papel nesta organização não permite adicionar instâncias de WhatsApp. Peça a um "
                           "administrador ou entre numa organização sua.",
    "keep.expired.title": "A sessão de teste terminou",
    "keep.expired.body": "Ela expirou ou já faz parte de uma conta. Comece uma nova na página inicial.",
    "keep.nothing.title": "Não há conexão para manter",
    "keep.nothing.body": "Este navegador não tem número conectado no painel de teste. Sua conta está pronta: adicione "
                         "uma instância pelo painel.",
}

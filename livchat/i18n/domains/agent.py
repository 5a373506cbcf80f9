"""The AI support agent: what it writes to visitors (its answer templates around knowledge-base
passages, handoff and closing notes), the notices and emails operators get when it hands a
conversation to them (`notifications.handoff_<reason>.*`), labels of its settings and analytics,
and error texts by stable code (`agent.errors.<code>`)."""

_HANDOFF_BODY_EN = ("{contact} ({channel}) is waiting for an operator: {why}. "
                    "Their last message: \u201c{question}\u201d. Open the conversation in the inbox: {link}")
_HANDOFF_BODY_PT = ("{contact} ({channel}) está aguardando um atendente: {why}. "
                    "Última mensagem: \u201c{question}\u201d. Abra a conversa na caixa de entrada: {link}")

EN = {
    # what the agent writes to the visitor
    "agent.answer.intro": "Here is what I found in our help articles:",
    "agent.answer.source": "Source: {files}",
    "agent.answer.sources": "Sources: {files}",
    "agent.answer.follow_up": "Did this answer your question? If not, ask me to talk to a person.",
    "agent.greeting": "Hi! How can I help you today?",
    "agent.closing": "You're welcome! I'm glad I could help. If you need anything else, just write here.",
    "agent.handoff.notice": "I'm passing this conversation to our team: an operator will help you here soon.",
    "agent.handoff.unavailable": "Sorry, I can't answer right now. An operator will help you here soon.",
    # notices and emails to operators, one kind per reason for the handoff
    "notifications.handoff_human_requested.title": "A visitor asked to talk to a person",
    "notifications.handoff_human_requested.body": _HANDOFF_BODY_EN.replace("{why}", "they asked for a person"),
    "notifications.handoff_no_answer.title": "The AI agent could not answer a question",
    "notifications.handoff_no_answer.body": _HANDOFF_BODY_EN.replace(
        "{why}", "the knowledge base had nothing relevant (consider adding an article)"),
    "notifications.handoff_agent_error.title": "The AI agent is unavailable: a conversation needs an operator",
    "notifications.handoff_agent_error.body": _HANDOFF_BODY_EN.replace(
        "{why}", "the AI service failed or timed out"),
    "notifications.handoff_other.title": "The AI agent handed a conversation to you",
    "notifications.handoff_other.body": _HANDOFF_BODY_EN.replace("{why}", "the AI agent judged a person should answer"),
    # settings and the playground (labels for the dashboard)
    "agent.settings.enabled": "The AI agent answers the chat widget",
    "agent.settings.instructions": "Instructions for the agent",
    "agent.settings.tone": "Tone",
    "agent.tone.friendly": "Friendly",
    "agent.tone.formal": "Formal",
    "agent.tone.concise": "Concise",
    "agent.whatsapp.ai_answers": "AI answers this number",
    "agent.action.answer": "Answered",
    "agent.action.escalate": "Handed to a person",
    "agent.action.resolve": "Resolved",
    "agent.reason.human_requested": "The visitor asked for a person",
    "agent.reason.no_answer": "Nothing relevant in the knowledge base",
    "agent.reason.agent_error": "The AI service failed",
    "agent.reason.max_rounds": "No answer within the allowed steps",
    "agent.reason.other": "The agent judged a person should answer",
    "agent.kind.openai": "OpenAI-compatible model",
    "agent.kind.extractive": "Offline (answers with knowledge-base passages)",
    # support analytics (labels for the charts)
    "agent.analytics.conversations": "Conversations",
    "agent.analytics.ai_resolution_rate": "Resolved by the AI",
    "agent.analytics.handoff_rate": "Handed to a person",
    "agent.analytics.median_first_answer": "Median time to first answer",
    "agent.analytics.unanswered": "Questions the agent could not answer",
    # errors
    "agent.errors.invalid_tone": "The tone must be friendly, formal or concise.",
    "agent.errors.instructions_too_long": "The instructions have at most 4,000 characters.",
    "agent.errors.invalid_instructions": "The instructions contain characters that are not allowed.",
    "agent.errors.question_empty": "Write a question.",
    "agent.errors.question_too_long": "The question is too long (at most 1,000 characters).",
    "agent.errors.invalid_language": "The language must be en or pt-BR.",
    "agent.errors.invalid_range": "Choose a start date on or before the end date, at most 366 days apart.",
}

PT_BR = {
    "agent.answer.intro": "Encontrei isto na nossa central de ajuda:",
    "agent.answer.source": "Fonte: {files}",
    "agent.answer.sources": "Fontes: {files}",
    "agent.answer.follow_up": "Isso respondeu à sua pergunta? Se não, peça para falar com uma pessoa.",
    "agent.greeting": "Olá! Como posso ajudar você hoje?",
    "agent.closing": "Por nada! Fico feliz em ter ajudado. Se precisar de mais alguma coisa, é só escrever aqui.",
    "agent.handoff.notice": "Vou passar esta conversa para a nossa equipe: um atendente vai ajudar você aqui em breve.",
    "agent.handoff.unavailable": "Desculpe, não consigo responder agora. Um atendente vai ajudar você aqui em breve.",
    "notifications.handoff_human_requested.title": "Um visitante pediu para falar com uma pessoa",
    "notifications.handoff_human_requested.body": _HANDOFF_BODY_PT.replace("{why}", "pediu para falar com uma pessoa"),
    "notifications.handoff_no_answer.title": "O agente de IA não soube responder a uma pergunta",
    "notifications.handoff_no_answer.body": _HANDOFF_BODY_PT.replace(
        "{why}", "a base de conhecimento não tinha nada relevante (considere escrever um artigo)"),
    "notifications.handoff_agent_error.title": "O agente de IA está indisponível: uma conversa precisa de um atendente",
    "notifications.handoff_agent_error.body": _HANDOFF_BODY_PT.replace(
        "{why}", "o serviço de IA falhou ou demorou demais"),
    "notifications.handoff_other.title": "O agente de IA passou uma conversa para vocês",
    "notifications.handoff_other.body": _HANDOFF_BODY_PT.replace(
        "{why}", "o agente de IA julgou que uma pessoa deve responder"),
    "agent.settings.enabled": "O agente de IA responde no widget de chat",
    "agent.settings.instructions": "Instruções para o agente",
    "agent.settings.tone": "Tom",
    "agent.tone.friendly": "Amigável",
    "agent.tone.formal": "Formal",
    "agent.tone.concise": "Conciso",
    "agent.whatsapp.ai_answers": "A IA responde este número",
    "agent.action.answer": "Respondeu",
    "agent.action.escalate": "Passou para uma pessoa",
    "agent.action.resolve": "Resolveu",
    "agent.reason.human_requested": "O visitante pediu uma pessoa",
    "agent.reason.no_answer": "Nada relevante na base de conhecimento",
    "agent.reason.agent_error": "O serviço de IA falhou",
    "agent.reason.max_rounds": "Sem resposta dentro dos passos permitidos",
    "agent.reason.other": "O agente julgou que uma pessoa deve responder",
    "agent.kind.openai": "Modelo compatível com a OpenAI",
    "agent.kind.extractive": "Offline (responde com trechos da base de conhecimento)",
    "agent.analytics.conversations": "Conversas",
    "agent.analytics.ai_resolution_rate": "Resolvidas pela IA",
    "agent.analytics.handoff_rate": "Passadas para uma pessoa",
    "agent.analytics.median_first_answer": "Tempo mediano até a primeira resposta",
    "agent.analytics.unanswered": "Perguntas que o agente não soube responder",
    "agent.errors.invalid_tone": "O tom deve ser amigável, formal ou conciso.",
    "agent.errors.instructions_too_long": "As instruções têm no máximo 4.000 caracteres.",
    "agent.errors.invalid_instructions": "As instruções contêm caracteres não permitidos.",
    "agent.errors.question_empty": "Escreva uma pergunta.",
    "agent.errors.question_too_long": "A pergunta é longa demais (no máximo 1.000 caracteres).",
    "agent.errors.invalid_language": "O idioma deve ser en ou pt-BR.",
    "agent.errors.invalid_range": ("Escolha uma data inicial igual ou anterior à final, com no máximo 366 dias "
                                   "entre elas."),
}

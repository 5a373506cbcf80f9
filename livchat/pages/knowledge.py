"""Dashboard → Knowledge base: two tabs on one page. "Files": upload, import a page, the files with a
live progress bar each, delete, re-index all, try a search. "AI agent": its settings and the
playground (ask as a visitor would; see the answer, the passages and their scores, the tools)."""

from __future__ import annotations

import json

import reflex as rx

from livchat.components.confirm import confirmed
from livchat.components.forms import label, labelled
from livchat.components.i18n import t
from livchat.components.layout import Section, dashboard_shell
from livchat.components.status import status_badge
from livchat.components.table import Column, actions_column, data_table
from livchat.components.time import local_time
from livchat.i18n import EN
from livchat.services.agent.settings import TONES
from livchat.state.agent_settings import AgentState
from livchat.state.feeds import feed_watcher
from livchat.state.i18n import LangState
from livchat.state.knowledge import KnowledgeState
from livchat.state.knowledge_feed import KnowledgeFeed

SECTION = Section("knowledge", "book-open")
S, A = KnowledgeState, AgentState
FILE_INPUT = "kb-file"
UPLOAD_ROUTE = "/api/knowledge/files"
ACCEPT = ".pdf,.docx,.txt,.md,.markdown,.html,.htm,application/pdf,text/plain,text/markdown,text/html"
# Posts the chosen file to the cookie-authenticated upload route (never Reflex's public /_upload);
# what it answered goes to KnowledgeState.upload_finished. The file's progress then comes live.
UPLOAD_BUTTON = "kb-upload"
UPLOAD_JS = (
    "(async () => { const input = document.getElementById(" + json.dumps(FILE_INPUT) + ");"
    " const button = document.getElementById(" + json.dumps(UPLOAD_BUTTON) + ");"
    " const file = input && input.files && input.files[0]; if (!file) return {status: 0, code: 'no_file'};"
    " const body = new FormData(); body.append('file', file);"
    " if (button) { button.disabled = true; button.setAttribute('aria-busy', 'true'); }"
    " try { const r = await fetch(" + json.dumps(UPLOAD_ROUTE) + ", {method: 'POST', body: body,"
    " credentials: 'same-origin'}); let data = {}; try { data = await r.json(); } catch (e) {}"
    " if (r.ok) { input.value = ''; }"
    " return {status: r.status, code: String(data.code || ''), reason: String(data.reason || '')}; }"
    " catch (e) { return {status: 0, code: 'network'}; }"
    " finally { if (button) { button.disabled = false; button.removeAttribute('aria-busy'); } } })()"
)
NOTICE_KEYS = sorted(k for k in EN if k.startswith("knowledge_page.notice."))
FORM_DIRECTION = rx.breakpoints(initial="column", sm="row")


def _in_language(en: rx.Var, pt: rx.Var) -> rx.Var:
    return rx.cond(LangState.lang == "pt-BR", pt, en)


def _messages(state: type[KnowledgeState | AgentState], prefix: str) -> rx.Component:
    """The state's error (texts in both languages: some carry a limit) and its notice."""
    return rx.fragment(
        rx.cond(state.error != "", rx.callout(_in_language(state.error_en, state.error_pt), icon="triangle-alert",
                                              color_scheme="red", role="alert", id=f"{prefix}-error", width="100%")),
        rx.cond(state.notice != "", rx.callout(rx.match(state.notice, *[(k, t(k)) for k in NOTICE_KEYS], ""),
                                               icon="check", color_scheme="green", role="status",
                                               id=f"{prefix}-notice", width="100%")),
    )


# --- files -----------------------------------------------------------------------------------------

def _name(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(row["name"], weight="medium", class_name="lc-wrap-anywhere"),
        rx.cond(row["source_url"] != "", rx.text(row["source_url"], size="1", color_scheme="gray",
                                                 class_name="lc-wrap-anywhere")),
        spacing="0", min_width="0",
    )


def _status(row: rx.Var) -> rx.Component:
    """The badge; while processing, the stage and a bar that follows it live; failed, why."""
    return rx.vstack(
        status_badge(row["status"], "knowledge.status"),
        rx.cond(row["status"] == "processing", rx.vstack(
            rx.progress(value=row["progress"].to(int), max=100, width="8em", aria_label=t("knowledge_page.progress"),
                        class_name="kb-progress"),
            rx.text(rx.match(row["stage"], *[(s, t(f"knowledge.stage.{s}")) for s in
                                             ("queued", "extract", "chunk", "embed", "write", "done")], row["stage"]),
                    " · ", row["progress"], "%", size="1", color_scheme="gray"),
            spacing="1",
        )),
        rx.cond(row["status"] == "failed", rx.text(_in_language(row["error_en"], row["error_pt"]), size="1",
                                                   color_scheme="red", class_name="kb-file-error")),
        spacing="1", align="start",
    )


def _delete(row: rx.Var) -> rx.Component:
    return rx.cond(S.can_manage, confirmed(
        rx.button(t("knowledge_page.delete"), size="1", variant="soft", color_scheme="red", class_name="kb-delete",
                  aria_label=t("knowledge_page.delete") + ": " + row["name"]),
        title_key="knowledge_page.delete_title", body_key="knowledge_page.delete_confirm",
        action_key="knowledge_page.delete", on_confirm=S.delete(row["id"]), confirm_id="kb-confirm-delete"))


FILE_COLUMNS = [
    Column("knowledge_page.col.name", _name),
    Column("knowledge_page.col.kind", lambda r: r["kind"]),
    Column("knowledge_page.col.size", lambda r: r["size"]),
    Column("knowledge_page.col.status", _status),
    Column("knowledge_page.col.chunks", lambda r: r["chunks"]),
    Column("knowledge_page.col.added", lambda r: local_time(r["added"])),
    actions_column(_delete),
]


def _upload_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(t("knowledge_page.upload.title"), as_="h2", size="4"),
        rx.flex(
            rx.vstack(label("knowledge_page.upload.file", FILE_INPUT),
                      rx.el.input(type="file", id=FILE_INPUT, accept=ACCEPT, class_name="kb-file-input"),
                      spacing="1", min_width="0"),
            rx.button(t("knowledge_page.upload.button"), id=UPLOAD_BUTTON, flex_shrink="0",
                      on_click=rx.call_script(UPLOAD_JS, callback=S.upload_finished)),
            direction=FORM_DIRECTION, spacing="3", align=rx.breakpoints(initial="stretch", sm="end"), width="100%",
        ),
        rx.heading(t("knowledge_page.import.title"), as_="h2", size="4", margin_top="8px"),
        rx.form(
            rx.flex(
                labelled("knowledge_page.import.url",
                         rx.input(name="url", id="kb-url", type="url", required=True, width="100%",
                                  placeholder="https://example.com/help"),
                         "kb-url", flex="1", width="100%", min_width="0"),
                rx.button(t("knowledge_page.import.button"), type="submit", id="kb-import", flex_shrink="0",
                          loading=S.busy == "import"),
                direction=FORM_DIRECTION, spacing="3", align=rx.breakpoints(initial="stretch", sm="end"), width="100%",
            ),
            on_submit=S.import_url, reset_on_submit=False, width="100%",
        ),
        spacing="3", width="100%",
    ), width="100%")


def _files_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.flex(
            rx.heading(t("knowledge_page.files.title"), as_="h2", size="4"),
            rx.spacer(),
            rx.cond(S.can_manage, confirmed(
                rx.button(t("knowledge_page.reindex"), size="1", variant="soft", id="kb-reindex",
                          loading=S.busy == "reindex"),
                title_key="knowledge_page.reindex_title", body_key="knowledge_page.reindex_confirm",
                action_key="knowledge_page.reindex", on_confirm=S.reindex, confirm_id="kb-confirm-reindex")),
            align="center", width="100%", gap="8px", wrap="wrap",
        ),
        data_table(S.files, FILE_COLUMNS, table_id="kb-files", row_class="kb-file",
                   row_attrs=lambda row: {"data_status": row["status"], "data_name": row["name"],
                                          "data_progress": row["progress"]},
                   empty_key="knowledge_page.files.empty", empty_id="kb-files-empty"),
        rx.cond(S.files_cursor != "", rx.button(t("knowledge_page.files.load_more"), variant="soft", size="1",
                                                on_click=S.load_more, id="kb-more")),
        spacing="3", width="100%",
    ), width="100%")


def _passage(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.cond(row["heading"] != "", rx.text(row["heading"], size="1", weight="bold")),
        rx.text(row["text"], size="2", white_space="pre-wrap", class_name="lc-wrap-anywhere"),
        spacing="1", min_width="0",
    )


HIT_COLUMNS = [
    Column("knowledge_page.col.file", lambda r: r["file"]),
    Column("knowledge_page.col.passage", _passage),
    Column("knowledge_page.col.score", lambda r: r["score"]),
    Column("knowledge_page.col.similarity", lambda r: r["similarity"]),
]


def _search_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(t("knowledge_page.search.title"), as_="h2", size="4"),
        rx.form(
            rx.flex(
                labelled("knowledge_page.search.query",
                         rx.input(name="query", id="kb-query", type="search", required=True, width="100%",
                                  max_length=1000),
                         "kb-query", flex="1", width="100%", min_width="0"),
                rx.button(t("knowledge_page.search.button"), type="submit", id="kb-search", flex_shrink="0",
                          loading=S.busy == "search"),
                direction=FORM_DIRECTION, spacing="3", align=rx.breakpoints(initial="stretch", sm="end"), width="100%",
            ),
            on_submit=S.search, reset_on_submit=False, width="100%",
        ),
        rx.cond(S.searched, data_table(S.results, HIT_COLUMNS, table_id="kb-results", row_class="kb-hit",
                                       empty_key="knowledge_page.search.empty", empty_id="kb-results-empty")),
        spacing="3", width="100%",
    ), width="100%")


def _files_tab() -> rx.Component:
    return rx.vstack(
        _messages(S, "kb"),
        rx.cond(S.can_manage, _upload_card()),
        _files_card(),
        _search_card(),
        spacing="4", width="100%",
    )


# --- the agent -------------------------------------------------------------------------------------

def _agent_kind() -> rx.Component:
    return rx.text(
        t("knowledge_page.agent.running"), " ",
        rx.badge(rx.match(A.kind, ("openai", t("agent.kind.openai")), ("extractive", t("agent.kind.extractive")),
                          ("off", t("knowledge_page.agent.kind_off")), A.kind), id="agent-kind", data_kind=A.kind),
        rx.cond(A.model != "", rx.text.span(" ", t("knowledge_page.agent.model"), " ", rx.code(A.model))),
        size="2",
    )


def _settings_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(t("knowledge_page.agent.title"), as_="h2", size="4"),
        _agent_kind(),
        rx.hstack(
            rx.switch(checked=A.enabled, on_change=A.set_enabled, id="agent-enabled", disabled=~A.can_manage),
            label("agent.settings.enabled", "agent-enabled"),
            align="center", spacing="2",
        ),
        rx.text(t("knowledge_page.agent.enabled_help"), size="1", color_scheme="gray"),
        rx.vstack(
            label("agent.settings.tone", "agent-tone"),
            rx.select.root(
                rx.select.trigger(id="agent-tone"),
                rx.select.content(*[rx.select.item(t(f"agent.tone.{tone}"), value=tone) for tone in TONES]),
                value=A.tone, on_change=A.set_tone, disabled=~A.can_manage,
            ),
            spacing="1",
        ),
        labelled("agent.settings.instructions",
                 rx.text_area(value=A.instructions, on_change=A.set_instructions, id="agent-instructions",
                              rows="5", width="100%", disabled=~A.can_manage),
                 "agent-instructions", width="100%"),
        rx.cond(A.can_manage, rx.button(t("knowledge_page.agent.save"), on_click=A.save, id="agent-save")),
        spacing="3", width="100%",
    ), width="100%")


def _source(row: rx.Var) -> rx.Component:
    return rx.el.li(rx.text(rx.text.strong(row["file"]), rx.cond(row["heading"] != "", rx.text.span(" — ",
                                                                                                     row["heading"])),
                            size="2"), class_name="playground-source")


PASSAGE_COLUMNS = HIT_COLUMNS
TRACE_COLUMNS = [
    Column("knowledge_page.col.tool", lambda r: rx.code(r["tool"])),
    Column("knowledge_page.col.result", lambda r: r["result"]),
    Column("knowledge_page.col.duration", lambda r: r["duration"]),
]
ACTIONS = ("answer", "escalate", "resolve")
REASONS = ("human_requested", "no_answer", "agent_error", "max_rounds", "other")


def _outcome() -> rx.Component:
    answer = A.answer
    return rx.vstack(
        rx.heading(t("knowledge_page.playground.answer"), as_="h3", size="3"),
        rx.hstack(
            rx.badge(rx.match(answer["action"], *[(a, t(f"agent.action.{a}")) for a in ACTIONS], answer["action"]),
                     id="playground-action", data_action=answer["action"],
                     color_scheme=rx.match(answer["action"], ("answer", "green"), ("escalate", "amber"), "blue")),
            rx.cond(answer["reason"] != "", rx.text(
                rx.match(answer["reason"], *[(r, t(f"agent.reason.{r}")) for r in REASONS], answer["reason"]),
                size="1", color_scheme="gray")),
            rx.text(answer["duration"], " ms", size="1", color_scheme="gray"),
            align="center", spacing="2", wrap="wrap",
        ),
        # The agent's text, inert (a passage could hold anything a file said).
        rx.box(rx.text(answer["text"], white_space="pre-wrap", class_name="lc-wrap-anywhere"), id="playground-answer",
               padding="12px", border_radius="8px", background=rx.color("gray", 3), width="100%"),
        rx.heading(t("knowledge_page.playground.sources"), as_="h3", size="3"),
        rx.cond(A.sources.length() > 0, rx.el.ul(rx.foreach(A.sources, _source), id="playground-sources",
                                                 margin="0", padding_left="20px"),
                rx.text(t("knowledge_page.playground.no_sources"), size="2", color_scheme="gray")),
        rx.heading(t("knowledge_page.playground.tools"), as_="h3", size="3"),
        data_table(A.trace, TRACE_COLUMNS, table_id="playground-tools", row_class="playground-tool", size="1"),
        rx.heading(t("knowledge_page.playground.passages"), as_="h3", size="3"),
        data_table(A.passages, PASSAGE_COLUMNS, table_id="playground-passages", row_class="playground-passage",
                   size="1", empty_key="knowledge_page.search.empty"),
        spacing="3", width="100%", id="playground-outcome",
    )


def _playground_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(t("knowledge_page.playground.title"), as_="h2", size="4"),
        rx.text(t("knowledge_page.playground.help"), size="2", color_scheme="gray"),
        rx.form(
            rx.flex(
                labelled("knowledge_page.playground.question",
                         rx.input(name="question", id="playground-question", required=True, width="100%",
                                  max_length=1000),
                         "playground-question", flex="1", width="100%", min_width="0"),
                rx.button(t("knowledge_page.playground.ask"), type="submit", id="playground-ask", flex_shrink="0",
                          loading=A.asking),
                direction=FORM_DIRECTION, spacing="3", align=rx.breakpoints(initial="stretch", sm="end"), width="100%",
            ),
            on_submit=A.ask, reset_on_submit=False, width="100%",
        ),
        rx.cond(A.answer.contains("text"), _outcome()),  # type: ignore[attr-defined]
        spacing="3", width="100%",
    ), width="100%")


def _agent_tab() -> rx.Component:
    return rx.vstack(_messages(A, "agent"), _settings_card(), _playground_card(), spacing="4", width="100%")


def knowledge_page() -> rx.Component:
    return dashboard_shell(
        SECTION.label_key,
        rx.vstack(
            feed_watcher(S.refresh, KnowledgeFeed.version),
            rx.text(t("knowledge_page.intro"), color_scheme="gray"),
            rx.cond(S.loaded & ~S.can_manage, rx.callout(t("knowledge_page.read_only"), icon="info", id="kb-read-only",
                                              width="100%")),
            rx.tabs.root(
                rx.tabs.list(
                    rx.tabs.trigger(t("knowledge_page.tab.files"), value="files", id="tab-files"),
                    rx.tabs.trigger(t("knowledge_page.tab.agent"), value="agent", id="tab-agent"),
                ),
                rx.tabs.content(_files_tab(), value="files", padding_top="16px"),
                rx.tabs.content(_agent_tab(), value="agent", padding_top="16px"),
                default_value="files", width="100%",
            ),
            spacing="4", width="100%",
        ),
    )


def register(app: rx.App) -> list[str]:
    app.add_page(knowledge_page, route=SECTION.route, title="LivChat — Knowledge base",
                 on_load=[KnowledgeFeed.link, KnowledgeState.load, AgentState.load])
    return [SECTION.route]

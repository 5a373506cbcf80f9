"""Analytics over the other domains' data, for the dashboard's charts (read-only, `read`).

Support (support.py, issue 13 §7), for the analytics UI:

    async with db.session() as session:
        report = await support.support_analytics(session, actor, date(2026, 1, 1), date(2026, 1, 31))
    report.days            # one row per day (UTC): conversations, aiResolved, escalated, aiAnswered
    report.totals          # rates over the range and the median time to first answer
    report.unanswered      # questions the agent handed off for want of an answer, newest first
    report.top_unanswered  # the same, grouped by question (accent- and case-insensitive), most asked first

Wire shapes in schemas.py (`report.wire()` gives the camelCase JSON). An invalid range is
InvalidInput("invalid_range") (i18n `agent.errors.invalid_range`).
"""

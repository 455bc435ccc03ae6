"""Every route of the service, in one table: method, path, view (a GET answers HEAD too).
docs/openapi.yaml describes the same routes; tests/service/test_openapi.py keeps them equal."""

from __future__ import annotations

from aiohttp import web

from service import (
    agent_views,
    analytics_views,
    approval_views,
    content_performance_views,
    content_views,
    customer_request_views,
    gap_topic_views,
    handoff_views,
    health_views,
    kb_views,
    nlu_views,
    order_views,
    privacy_views,
    prometheus,
    review_views,
)

ROUTES = (
    web.get("/health", health_views.health),
    web.get("/health/live", health_views.live),
    web.get("/health/ready", health_views.ready),
    web.get("/metrics", prometheus.metrics_page),
    web.post("/kb/search", kb_views.search),
    web.post("/kb/feedback", kb_views.feedback),
    web.get("/kb/articles", kb_views.articles),
    web.get("/kb/unanswered", kb_views.unanswered),
    web.post("/nlu/embed", nlu_views.embed),
    web.post("/commerce/orders/verify", order_views.verify),
    web.post("/commerce/customers/email", order_views.claimed_email),
    web.post("/commerce/orders/lookup", order_views.lookup),
    web.post("/commerce/orders/cancel", order_views.cancel),
    web.post("/commerce/orders/return", order_views.start_return),
    web.post("/commerce/orders/refund", order_views.refund),
    web.get("/commerce/audit", order_views.audit_log),
    web.post("/handoff/tickets", handoff_views.create_ticket),
    web.post("/handoff/tickets/{ticket_id}/cancel", handoff_views.cancel_ticket),
    web.get("/handoff/conversations/{conversation_id}", handoff_views.conversation),
    web.get("/handoff/conversations/{conversation_id}/takeover", handoff_views.takeover),
    web.get("/handoff/conversations/{conversation_id}/transcript", handoff_views.transcript),
    web.post(
        "/handoff/conversations/{conversation_id}/transcript-email",
        handoff_views.transcript_email,
    ),
    web.get("/handoff/conversations/{conversation_id}/survey", handoff_views.survey_status),
    web.post("/handoff/conversations/{conversation_id}/survey", handoff_views.save_survey),
    web.delete("/handoff/customers/{customer_id}", handoff_views.erase_customer),
    # the customer's own requests page (gateway/requests_page.py): a requests link or a session
    web.post("/handoff/customer-requests", customer_request_views.list_requests),
    web.post("/handoff/customer-requests/{ticket_id}/messages", customer_request_views.add_message),
    web.post("/handoff/customer-requests/{ticket_id}/close", customer_request_views.close_request),
    # a customer's access request and erasure: the service token, or a supervisor's below
    web.get("/privacy/customers/{customer_id}/export", privacy_views.export_customer),
    web.delete("/privacy/customers/{customer_id}", privacy_views.erase_customer),
    web.get("/agent/privacy/customers/{customer_id}/export", privacy_views.export_customer),
    web.delete("/agent/privacy/customers/{customer_id}", privacy_views.erase_customer),
    web.put("/agent/presence", agent_views.set_presence),
    web.get("/agent/me", agent_views.me),
    web.get("/agent/queues", agent_views.queues),
    web.get("/agent/tickets", agent_views.list_tickets),
    web.get("/agent/tickets/{ticket_id}", agent_views.get_ticket),
    web.post("/agent/tickets/{ticket_id}/claim", agent_views.claim),
    web.post("/agent/tickets/{ticket_id}/reply", agent_views.reply),
    web.post("/agent/tickets/{ticket_id}/note", agent_views.note),
    web.post("/agent/tickets/{ticket_id}/transfer", agent_views.transfer),
    web.post("/agent/tickets/{ticket_id}/escalate", agent_views.escalate),
    web.post("/agent/tickets/{ticket_id}/resolve", agent_views.resolve),
    web.post("/agent/tickets/{ticket_id}/hand_back", agent_views.hand_back),
    # a refund the assistant held for a supervisor (role supervisor decides)
    web.get("/agent/tickets/{ticket_id}/approval", approval_views.held_refund),
    web.post("/agent/tickets/{ticket_id}/approval", approval_views.decide),
    # the supervisor's analytics (role supervisor)
    web.get("/agent/analytics/metrics", analytics_views.metrics),
    web.get("/agent/analytics/series", analytics_views.series),
    web.get("/agent/analytics/conversations", analytics_views.conversations),
    web.get("/agent/analytics/agents", analytics_views.agents),
    web.get("/agent/analytics/live", analytics_views.live),
    web.get("/agent/analytics/export.csv", analytics_views.export_csv),
    web.get("/agent/content/articles/performance", content_performance_views.article_performance),
    # the QA review (role supervisor; an agent reads only their own scorecards)
    web.get("/agent/review/queue", review_views.queue),
    web.get("/agent/review/conversations/{conversation_id}/{session}", review_views.conversation),
    web.post(
        "/agent/review/conversations/{conversation_id}/{session}/verdict",
        review_views.give_verdict,
    ),
    web.post("/agent/review/tickets/{ticket_id}/scorecard", review_views.score_ticket),
    web.get("/agent/review/scorecards", review_views.scorecards),
    # the content team's workspace (role content or supervisor; docs/content.md)
    web.get("/agent/content/drafts", content_views.list_drafts),
    web.get("/agent/content/drafts/{article_id}", content_views.show_draft),
    web.put("/agent/content/drafts/{article_id}", content_views.save_draft),
    web.post("/agent/content/drafts/{article_id}/try", content_views.try_draft),
    web.post("/agent/content/articles/{article_id}/publish", content_views.publish),
    web.get("/agent/content/suggestions", content_views.list_suggestions),
    web.post(
        "/agent/content/suggestions/{suggestion_id}/draft", content_views.draft_from_suggestion
    ),
    web.get("/agent/content/audit", content_views.audit_log),
    web.get("/agent/content/topics", gap_topic_views.list_topics),
    web.post("/agent/content/topics/recluster", gap_topic_views.recluster),
    web.post("/agent/content/topics/{topic_id}/draft", content_views.draft_from_topic),
)

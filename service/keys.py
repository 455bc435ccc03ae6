"""Typed application keys shared by the app factory and the views."""

from aiohttp import web

from knowledge_base.embeddings import Embedder
from knowledge_base.insights import InsightStore
from knowledge_base.library import KnowledgeBase
from service.desk import HandoffDesk
from service.desk.analytics import Analytics
from service.desk.content import ContentDesk
from service.desk.follow_up_mail import FollowUpMail
from service.desk.gap_topics import GapTopicDesk
from service.desk.order_actions import OrderActions
from service.desk.order_approvals import OrderApprovals
from service.desk.order_audit import OrderAudit
from service.desk.orders import OrderDesk
from service.desk.privacy import PrivacyDesk
from service.desk.review import ReviewDesk
from service.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
KNOWLEDGE_BASE = web.AppKey("knowledge_base", KnowledgeBase)
INSIGHTS = web.AppKey("insights", InsightStore)
EMBEDDER = web.AppKey("embedder", Embedder)  # uncached: for customers' text
HANDOFF = web.AppKey("handoff", HandoffDesk)  # store, routing and agents config, spaCy, clock
ANALYTICS = web.AppKey("analytics", Analytics)  # the outcome cache, the desk, the review's figures
REVIEW = web.AppKey("review", ReviewDesk)  # QA review: cases, queue, verdicts, scorecards
ORDERS = web.AppKey("orders", OrderDesk)  # only when a shop is configured (settings.shop)
ORDER_ACTIONS = web.AppKey("order_actions", OrderActions)  # with ORDERS: cancel, return, refund
ORDER_AUDIT = web.AppKey("order_audit", OrderAudit)  # with ORDERS: the actions' audit log
ORDER_APPROVALS = web.AppKey("order_approvals", OrderApprovals)  # with ORDERS: held refunds
PRIVACY = web.AppKey("privacy", PrivacyDesk)  # a customer's export and erasure
FOLLOW_UP_MAIL = web.AppKey("follow_up_mail", FollowUpMail)  # only when mail is set up (SMTP_HOST)
CONTENT = web.AppKey("content", ContentDesk)  # drafts, try-outs, publishing, suggestions
GAP_TOPICS = web.AppKey("gap_topics", GapTopicDesk)  # unanswered questions grouped by meaning

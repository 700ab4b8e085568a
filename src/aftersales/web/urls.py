from django.contrib.auth import views as auth_views
from django.urls import path

from aftersales.web.views import (
    account,
    assistant,
    case,
    consumer,
    inbox,
    merchant,
    platform,
    site,
    tickets,
)

app_name = "web"

urlpatterns = [
    path("", account.home, name="home"),
    path("favicon.ico", site.favicon, name="favicon"),
    path("login/", account.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="web:login"), name="logout"),
    path("account/", account.profile, name="profile"),
    path("account/password/", account.PasswordChangeView.as_view(), name="password-change"),
    path("account/tokens/", account.create_token, name="token-create"),
    path("account/tokens/<int:token_id>/revoke/", account.revoke_token, name="token-revoke"),
    path("cases/<str:case_no>/", case.case_detail, name="case"),
    path("cases/<str:case_no>/act/<str:action>/", case.case_action, name="case-action"),
    path("files/<str:public_id>/", case.attachment, name="attachment"),
    path("my/orders/", consumer.orders, name="consumer-orders"),
    path("my/orders/<str:order_sn>/", consumer.order_detail, name="consumer-order"),
    path("my/coupons/", consumer.coupons, name="consumer-coupons"),
    path("workbench/", merchant.queue, name="merchant-queue"),
    path("workbench/agree/", merchant.bulk_agree, name="merchant-bulk-agree"),
    path("workbench/refuse/", merchant.bulk_refuse, name="merchant-bulk-refuse"),
    path("workbench/ledger/", merchant.ledger_page, name="merchant-ledger"),
    path("platform/", platform.review_queue, name="platform-review"),
    path("platform/search/", platform.search, name="platform-search"),
    path("assistant/", assistant.chat, name="assistant"),
    path("assistant/send/", assistant.send, name="assistant-send"),
    path("assistant/new/", assistant.restart, name="assistant-restart"),
    path("platform/chats/", assistant.agent_queue, name="agent-chats"),
    path("platform/chats/<str:public_id>/", assistant.agent_chat, name="agent-chat"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read-all/", inbox.read_all, name="inbox-read-all"),
    path("cases/<str:case_no>/message/", inbox.message_consumer, name="case-message"),
    path("tickets/", tickets.ticket_list, name="tickets"),
    path("tickets/<str:ticket_no>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<str:ticket_no>/act/<str:action>/", tickets.ticket_action, name="ticket-action"),
    path("tickets/<str:ticket_no>/photos/<public_id>/", tickets.ticket_photo, name="ticket-photo"),
    path("my/orders/<str:order_sn>/ticket/", tickets.new_ticket, name="ticket-new"),
]

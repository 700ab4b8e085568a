"""The consoles as a new user meets them (issue 8, "Consoles"): stale forms, error messages in
the page's words and yuan, plain words instead of codes, and the pages around the edges."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.utils import translation

from aftersales.assistant.models import Conversation
from aftersales.cases.models import Attachment, Case
from aftersales.cases.services import create_case, perform_action
from aftersales.core.models import Event
from aftersales.ledger.models import EntryKind, LedgerEntry
from aftersales.notify.models import Notification
from tests.factories import T0

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.fixture(autouse=True)
def _leave_no_language_behind():
    yield
    translation.deactivate()


def signed_in(user, language: str | None = None) -> Client:
    client = Client()
    client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def return_request(market) -> Case:
    return create_case(
        market.consumer.user,
        order_sn=market.order().order_sn,
        type="return_refund",
        reason="quality",
    )


def errors_of(html: str) -> str:
    """The text of every error list on the page."""
    lists = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found) for found in lists)


def text_of(html: str) -> str:
    """What a person reads: no tags, scripts, styles or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- 8. a stale form gets the 409 and says what changed ---------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_a_stale_form_is_refused_with_409_and_says_what_changed(market, travel, htmx):
    # Given a merchant with the case open in two tabs
    case = return_request(market)
    merchant = signed_in(market.merchant.user)
    page = merchant.get(f"/cases/{case.case_no}/").content.decode()
    assert f'name="version" value="{case.version}"' in page
    # when tab A refuses and tab B then agrees with the form it rendered before
    perform_action(
        market.merchant.user,
        case_no=case.case_no,
        action="refuse",
        fields_in={"reason": "商品完好，不同意退货"},
    )
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = merchant.post(
        f"/cases/{case.case_no}/act/agree/",
        {"version": case.version, "return_address": "杭州市西湖区文三路1号"},
        **headers,
    )
    # then B gets 409 and a message in words, with the fresh panel
    assert response.status_code == 409
    html = response.content.decode()
    assert "该售后单已变更：商家已拒绝。请查看最新状态后再操作。" in html
    assert 'data-testid="case-status">商家已拒绝</span>' in html
    assert "If-Match" not in html and "版本" not in html
    # and nothing was agreed
    case.refresh_from_db()
    assert case.status == "refused"
    actions = list(
        Event.objects.filter(subject_kind="case", subject_key=case.case_no).values_list(
            "action", flat=True
        )
    )
    assert actions == ["create", "refuse"]


def test_bulk_agree_skips_and_names_the_cases_that_changed(market, travel):
    # Given two waiting cases on the workbench
    fresh, changed = return_request(market), return_request(market)
    merchant = signed_in(market.merchant.user)
    queue = merchant.get("/workbench/").content.decode()
    for case in (fresh, changed):
        assert f'name="version-{case.case_no}" value="{case.version}"' in queue
    # when the platform shortens one's deadline after the page was rendered
    perform_action(
        market.agent.user,
        case_no=changed.case_no,
        action="shorten_deadline",
        fields_in={"remaining_hours": 24},
    )
    response = merchant.post(
        "/workbench/agree/",
        {
            "case_no": [fresh.case_no, changed.case_no],
            f"version-{fresh.case_no}": fresh.version,
            f"version-{changed.case_no}": changed.version,
        },
        follow=True,
    )
    # then only the unchanged one is agreed, and the other is reported by number
    fresh.refresh_from_db()
    changed.refresh_from_db()
    assert (fresh.status, changed.status) == ("awaiting_return", "awaiting_merchant")
    html = response.content.decode()
    assert f"{changed.case_no}：该售后单已变更" in html
    assert "已同意 1 个售后单" in html or "1" in html


# --- 9. errors name the field as the page labels it, in yuan ----------------------------------


def test_a_too_short_reason_names_the_field_as_the_page_labels_it(market, travel):
    case = return_request(market)
    response = signed_in(market.merchant.user).post(
        f"/cases/{case.case_no}/act/refuse/", {"version": case.version, "reason": "x"}
    )
    assert response.status_code == 422
    errors = errors_of(response.content.decode())
    assert "原因须为 2 至 500 个字" in errors
    assert "reason" not in errors


def test_a_ruling_above_the_case_amount_says_so_in_yuan(market, travel):
    case = create_case(
        market.consumer.user, order_sn=market.order().order_sn, type="repair", reason="faulty"
    )
    perform_action(
        market.merchant.user,
        case_no=case.case_no,
        action="refuse",
        fields_in={"reason": "人为损坏"},
    )
    case.refresh_from_db()
    response = signed_in(market.agent.user).post(
        f"/cases/{case.case_no}/act/rule/",
        {
            "version": case.version,
            "outcome": "partial_refund",
            "amount_fen": "999",
            "note": "部分退款",
        },
    )
    assert response.status_code == 422
    errors = errors_of(response.content.decode())
    assert "退款金额" in errors and "¥200.00" in errors
    assert "amount_fen" not in errors and "分" not in errors


def test_return_shipping_above_the_limit_is_in_yuan(market, travel):
    case = return_request(market)
    perform_action(
        market.merchant.user,
        case_no=case.case_no,
        action="agree",
        fields_in={"return_address": "杭州市西湖区文三路1号"},
    )
    case.refresh_from_db()
    response = signed_in(market.consumer.user).post(
        f"/cases/{case.case_no}/act/ship_return/",
        {
            "version": case.version,
            "carrier": market.carrier.code,
            "tracking_no": "SF1234567890",
            "return_shipping_fen": "2000",
        },
    )
    assert response.status_code == 422
    errors = errors_of(response.content.decode())
    assert "退货运费" in errors and "¥1000.00" in errors
    assert "return_shipping_fen" not in errors and "100000" not in errors


def test_the_consumers_amount_error_is_in_yuan_without_field_names(market, travel):
    order = market.order()
    response = signed_in(market.consumer.user).post(
        f"/my/orders/{order.order_sn}/",
        {"type": "refund_only", "reason": "quality", "description": "", "amount": "999"},
    )
    assert response.status_code == 422
    errors = errors_of(response.content.decode())
    assert "¥200.00" in errors
    assert "amount_fen" not in errors and " 分" not in errors


# --- 10. words, not codes; people, not usernames ----------------------------------------------


def test_the_consumers_case_page_speaks_words_not_rule_codes(market, travel):
    case = return_request(market)
    html = signed_in(market.consumer.user).get(f"/cases/{case.case_no}/").content.decode()
    shown = text_of(html)
    assert "⚙" not in shown and "return_refund" not in shown
    assert "规则" not in shown.replace("按平台规则", "")
    deadline = re.search(r'data-testid="deadline">(.*?)</div>', html, flags=re.S)
    assert deadline is not None
    assert "按平台规则，若商家在" in text_of(deadline.group(1))


def test_the_timeline_names_people_by_their_part_not_their_username(market, travel):
    case = return_request(market)
    perform_action(
        market.merchant.user,
        case_no=case.case_no,
        action="refuse",
        fields_in={"reason": "商品完好，不同意退货"},
    )
    html = signed_in(market.consumer.user).get(f"/cases/{case.case_no}/").content.decode()
    timeline = html.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    assert market.consumer.user.username not in timeline
    assert market.merchant.user.username not in timeline
    assert "· 您" in timeline and "· 商家" in timeline
    # the merchant sees the consumer as the buyer
    html = signed_in(market.merchant.user).get(f"/cases/{case.case_no}/").content.decode()
    timeline = html.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    assert "· 买家" in timeline and "· 您" in timeline


def test_the_chat_queue_shows_reasons_intents_and_emotions_in_words(market, travel):
    Conversation.objects.create(
        public_id="c1",
        consumer=market.consumer.user,
        status=Conversation.Status.QUEUED,
        handover_reason="angry",
        handover_priority=1,
        handover_at=T0,
        last_intent="complaint",
        last_emotion=75,
        created_at=T0,
        updated_at=T0,
    )
    html = signed_in(market.agent.user).get("/platform/chats/").content.decode()
    table = text_of(html.split('data-testid="chat-queue"', 1)[1].split("</table>", 1)[0])
    assert "angry" not in table and "complaint" not in table and "75" not in table
    assert "情绪激动" in table and "投诉" in table


def test_the_ledger_and_the_inbox_are_newest_first(market, travel):
    # Given rows whose ids do not follow their dates
    late = LedgerEntry.objects.create(
        shop=market.shop, kind=EntryKind.DEPOSIT, amount_fen=111, created_at=T0
    )
    early = LedgerEntry.objects.create(
        shop=market.shop,
        kind=EntryKind.DEPOSIT,
        amount_fen=222,
        created_at=T0 - dt.timedelta(days=1),
    )
    html = signed_in(market.merchant.user).get("/workbench/ledger/").content.decode()
    assert html.index("¥1.11") < html.index("¥2.22")
    assert early.id > late.id
    for title, at in (("较新的通知", T0), ("较早的通知", T0 - dt.timedelta(days=1))):
        Notification.objects.create(
            recipient=market.consumer.user,
            kind="case.refuse",
            subject_kind="case",
            subject_key="AS1",
            title=title,
            created_at=at,
        )
    html = signed_in(market.consumer.user).get("/inbox/").content.decode()
    assert html.index("较新的通知") < html.index("较早的通知")


def _english_pages(market) -> dict[str, tuple[object, str]]:
    waiting = return_request(market)
    in_review = create_case(
        market.consumer.user, order_sn=market.order().order_sn, type="repair", reason="faulty"
    )
    perform_action(
        market.merchant.user, case_no=in_review.case_no, action="refuse", fields_in={"reason": "x1"}
    )
    return {
        "orders": (market.consumer.user, "/my/orders/"),
        "order": (market.consumer.user, f"/my/orders/{waiting.order.order_sn}/"),
        "case (consumer)": (market.consumer.user, f"/cases/{waiting.case_no}/"),
        "case (merchant)": (market.merchant.user, f"/cases/{waiting.case_no}/"),
        "case (agent)": (market.agent.user, f"/cases/{in_review.case_no}/"),
        "coupons": (market.consumer.user, "/my/coupons/"),
        "workbench": (market.merchant.user, "/workbench/"),
        "ledger": (market.merchant.user, "/workbench/ledger/"),
        "review": (market.agent.user, "/platform/"),
        "search": (market.agent.user, "/platform/search/"),
        "chats": (market.agent.user, "/platform/chats/"),
        "profile": (market.consumer.user, "/account/"),
        "login": (None, "/login/"),
    }


def test_every_page_is_english_in_english(market, travel):
    # Data people typed or named (shops, items, addresses, carriers) stays as it is.
    data = ["测试店铺", "测试商品", "手机", "上海市浦东新区世纪大道100号 售后部", "顺丰速运"]
    problems = {}
    for name, (user, path) in _english_pages(market).items():
        client = signed_in(user, "en") if user else Client()
        if not user:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        html = response.content.decode()
        # Suggested replies are drafts for the consumer, written in the consumer's language.
        html = re.sub(r'<span lang="zh-Hans">.*?</span>', "", html, flags=re.S)
        shown = text_of(html).replace("中文", "")  # the language switch
        for value in data:
            shown = shown.replace(value, "")
        shown = re.sub(r"测试店铺\d+", "", shown)
        found = sorted(set(CJK.findall(shown)))
        if found:
            problems[name] = "".join(found)
    assert problems == {}


# --- 10. the pages around the edges -----------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"), [("zh-hans", "页面不存在"), ("en", "Page not found")]
)
def test_a_missing_page_is_a_styled_translated_404(market, language, words):
    response = signed_in(market.consumer.user, language).get("/cases/AS-NOPE/")
    assert response.status_code == 404
    html = response.content.decode()
    assert words in html and "app.css" in html and 'class="topbar"' in html


def test_403_and_500_pages_use_the_consoles_layout(db):
    from django.views.defaults import permission_denied, server_error

    request = RequestFactory().get("/somewhere/")
    with translation.override("zh-hans"):
        forbidden = permission_denied(request, exception=None)
        broken = server_error(request)
    assert forbidden.status_code == 403 and "无权访问" in forbidden.content.decode()
    assert broken.status_code == 500 and "app.css" in broken.content.decode()
    assert "出错了" in broken.content.decode()


def test_the_favicon_is_served(db):
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = Client().get("/login/").content.decode()
    assert 'rel="icon"' in page


def test_the_photo_field_says_its_limit_and_takes_only_photos(market, travel):
    order = market.order()
    consumer = signed_in(market.consumer.user)
    html = consumer.get(f"/my/orders/{order.order_sn}/").content.decode()
    photos = re.search(r'<input type="file" name="photos"[^>]*>', html)
    assert photos is not None
    assert 'accept="image/jpeg,image/png,image/gif,image/webp"' in photos.group(0)
    assert "每张不超过 5 MB" in html
    # and the server refuses a PDF sent as a photo
    pdf = io.BytesIO(b"%PDF-1.4 not a photo")
    pdf.name = "scan.pdf"
    response = consumer.post(
        f"/my/orders/{order.order_sn}/",
        {"type": "repair", "reason": "faulty", "description": "坏了", "photos": [pdf]},
    )
    assert response.status_code == 422
    assert "scan.pdf" in errors_of(response.content.decode())
    assert not Case.objects.filter(order=order).exists()
    assert not Attachment.objects.exists()


def test_the_consumers_coupons_say_why_in_words_not_rule_codes(market, travel):
    from aftersales.ledger import services as ledger

    case = return_request(market)
    ledger.compensate(case=case, order_amount_fen=20_000, rule="repair ⚙ ruling 2.6", now=T0)
    html = signed_in(market.consumer.user).get("/my/coupons/").content.decode()
    shown = text_of(html)
    assert "¥50.00" in shown and "商家赔付" in shown
    assert "2.6" not in shown and "⚙" not in shown and "规则" not in shown


def test_an_expired_form_gets_a_styled_page_that_says_what_to_do(market, travel):
    client = Client(enforce_csrf_checks=True)
    client.force_login(market.consumer.user)
    response = client.post("/inbox/read-all/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "app.css" in html and "页面已过期" in html and "CSRF" not in text_of(html)

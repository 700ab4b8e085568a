"""The consoles in a real browser: the journeys a consumer, a merchant and an agent take.

Each test checks what the page shows and what the database holds. The server's clock is
time-machine's (the `travel` fixture, frozen at T0 = 2026-12-01 20:00 Shanghai).
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Locator, Page, expect

from aftersales.cases import services
from aftersales.cases.models import Attachment, Case
from aftersales.cases.presentation import ACTION_LABELS, OUTCOME_LABELS, STATUS_LABELS
from aftersales.core import clock
from aftersales.core.models import Event, User
from aftersales.core.services import create_user
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.deadlines.sweeper import sweep
from aftersales.ledger.models import Coupon, EntryKind, LedgerEntry
from aftersales.ledger.services import shop_balance
from tests.browser.conftest import PASSWORD, PHONE
from tests.factories import ShopFactory

# The live server's thread needs committed data (transaction=True); the reference categories
# come from a data migration that a transactional test's flush removes, hence the rollback.
pytestmark = pytest.mark.django_db(transaction=True)

CJK = re.compile(r"[\u4e00-\u9fff]")


# -- helpers -------------------------------------------------------------------------------


def png(width: int, height: int) -> bytes:
    """A real PNG: a dark phone screen with a bright diagonal crack."""
    rows = []
    for y in range(height):
        row = bytearray()
        for x in range(width):
            crack = abs(x * height - y * width) < width * 2
            row += bytes((235, 235, 240) if crack else (30 + y % 40, 34, 48))
        rows.append(b"\x00" + bytes(row))

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def zh(text) -> str:
    """What the console shows for `text` in its default language, Simplified Chinese."""
    with translation.override("zh-hans"):
        return str(text) if not isinstance(text, str) else gettext(text)


def exactly(*texts: str) -> re.Pattern[str]:
    return re.compile("^(" + "|".join(re.escape(t) for t in texts) + ")$")


def _countdown(seconds: int) -> str:
    """The countdown as the page's script writes it (static/web/app.js)."""
    sign = "-" if seconds < 0 else ""
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours:02d}h {minutes:02d}m"
    return f"{sign}{hours:02d}h {minutes:02d}m {secs:02d}s"


def countdown(deadline: Deadline) -> re.Pattern[str]:
    """The texts a countdown to `deadline` may show within its first minute on the page."""
    left = int((deadline.due_at - clock.now()).total_seconds())
    return exactly(*sorted({_countdown(left - k) for k in range(60)}))


def pending_deadline(case: Case) -> Deadline:
    return Deadline.objects.get(
        subject_kind="case", subject_id=case.id, status=DeadlineStatus.PENDING
    )


def status_badge(page: Page) -> Locator:
    return page.locator("[data-testid=case-status]")


def action_form(page: Page, action: str) -> Locator:
    """The form of `action` on the case page, its <details> opened."""
    details = page.locator(f'details[data-action="{action}"]')
    details.evaluate("d => { d.open = true; }")
    return details


def submit(page: Page, action: str) -> None:
    action_form(page, action).locator(f'button[name="submit-{action}"]').click()


def ledger_rows(page: Page) -> list[list[str]]:
    rows = page.locator("[data-testid=ledger] tbody tr")
    return [
        [cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


def local(instant) -> str:
    return timezone.localtime(instant).strftime("%Y-%m-%d %H:%M")


@dataclass
class People:
    consumer: User
    merchant: User
    agent: User


def person(username: str, role: str, **extra) -> User:
    user, _token = create_user(username=username, role=role, password=PASSWORD, **extra)
    return user


@pytest.fixture
def people(market) -> People:
    return People(
        consumer=person("xiaoming", "consumer", display_name="小明"),
        merchant=person("shopkeeper", "merchant", shop=market.shop.code),
        agent=person("agent-li", "agent"),
    )


def file_repair(people: People, order, *, photo: bytes | None = None) -> Case:
    photos = [SimpleUploadedFile("screen.png", photo, "image/png")] if photo else None
    return services.create_case(
        people.consumer,
        order_sn=order.order_sn,
        type="repair",
        reason="faulty",
        description="屏幕不亮，开机后只有背光",
        photos=photos,
    )


# -- journeys -------------------------------------------------------------------------------


def test_repair_agreed_shipped_and_deemed_inspected_by_the_sweeper(
    web, market, people, travel, tmp_path
):
    order = market.order(consumer=people.consumer)

    # Given a consumer who files a repair request with a photo of the broken screen
    consumer = web.sign_in(people.consumer)
    expect(consumer).to_have_url(web.url("/my/orders/"))
    consumer.goto(f"/my/orders/{order.order_sn}/")
    consumer.locator("select[name=type]").select_option("repair")
    consumer.locator("select[name=reason]").select_option("faulty")
    consumer.locator("textarea[name=description]").fill("屏幕不亮，开机后只有背光")
    photo = tmp_path / "broken-screen.png"
    photo.write_bytes(png(160, 120))
    consumer.locator("input[name=photos]").set_input_files(photo)
    consumer.locator("form:has(input[name=photos]) button[type=submit]").click()

    expect(consumer).to_have_url(re.compile(r"/cases/AS\d{16}/$"))
    case = Case.objects.get(order=order)
    assert consumer.url == web.url(f"/cases/{case.case_no}/")
    assert (case.type, case.status, case.reason, case.amount_fen) == (
        "repair",
        "awaiting_merchant",
        "faulty",
        20_000,
    )
    assert case.description == "屏幕不亮，开机后只有背光"
    attachment = Attachment.objects.get(case=case)
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "broken-screen.png",
        "image/png",
        photo.stat().st_size,
    )
    expect(status_badge(consumer)).to_have_text(zh(STATUS_LABELS["awaiting_merchant"]))
    thumbnail = consumer.locator(f'.photos img[src="/files/{attachment.public_id}/"]')
    expect(thumbnail).to_be_visible()
    # The photo is served to its consumer and decodes: wait for it to load, then check it.
    consumer.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    assert thumbnail.evaluate("img => img.naturalWidth") == 160
    merchant_deadline = pending_deadline(case)
    assert merchant_deadline.name == "merchant_response_deadline"
    expect(consumer.locator("[data-testid=deadline] .countdown")).to_have_text(
        countdown(merchant_deadline)
    )

    # When the merchant opens it from the workbench queue and agrees
    merchant = web.sign_in(people.merchant)
    expect(merchant).to_have_url(web.url("/workbench/"))
    row = merchant.locator(f'[data-testid=queue] tr[data-case="{case.case_no}"]')
    expect(row).to_contain_text(zh(STATUS_LABELS["awaiting_merchant"]))
    expect(row.locator(".countdown")).to_have_text(countdown(merchant_deadline))
    web.screenshot(merchant, "merchant_queue.png")
    row.locator(f'a[href="/cases/{case.case_no}/"]').click()
    expect(merchant).to_have_url(web.url(f"/cases/{case.case_no}/"))
    address = action_form(merchant, "agree").locator("input[name=return_address]")
    expect(address).to_have_value(market.shop.return_address)
    submit(merchant, "agree")
    expect(status_badge(merchant)).to_have_text(zh(STATUS_LABELS["awaiting_return"]))
    case.refresh_from_db()
    assert (case.status, case.return_address) == ("awaiting_return", market.shop.return_address)

    # And the consumer ships the item back
    consumer.reload()
    shipping = action_form(consumer, "ship_return")
    shipping.locator("select[name=carrier]").select_option(market.carrier.code)
    shipping.locator("input[name=tracking_no]").fill("SF1234567890")
    submit(consumer, "ship_return")
    expect(status_badge(consumer)).to_have_text(zh(STATUS_LABELS["inspecting"]))
    case.refresh_from_db()
    assert (case.status, case.return_carrier, case.return_tracking_no) == (
        "inspecting",
        "sf",
        "SF1234567890",
    )
    assert pending_deadline(case).name == "inspection_deadline"

    # When eight days pass without the merchant inspecting, and the sweeper runs
    travel.by(days=8)
    assert sweep().fired == 1

    # Then the item is deemed received and repairable (rule 2.3): the case is being repaired
    case.refresh_from_db()
    assert case.status == "repairing"
    last = Event.objects.filter(subject_kind="case", subject_key=case.case_no).latest("seq")
    assert (last.actor, last.action) == ("system", "inspect")
    repair_deadline = pending_deadline(case)
    assert repair_deadline.name == "repair_deadline"

    consumer.reload()
    repairing = zh(STATUS_LABELS["repairing"])
    expect(status_badge(consumer)).to_have_text(repairing)
    newest = consumer.locator("[data-testid=timeline] li").first
    expect(newest).to_have_class("system")
    expect(newest.locator("strong")).to_have_text(zh(ACTION_LABELS["inspect"]))
    expect(newest.locator(".when")).to_have_text(
        f"{local(last.at)} · {zh('system (deadline passed)')}"
    )
    deadlines = consumer.locator("[data-testid=deadline]")
    expect(deadlines).to_have_count(1)
    expect(deadlines.locator(".countdown")).to_have_attribute(
        "data-due", timezone.localtime(repair_deadline.due_at).isoformat()
    )
    expect(deadlines.locator(".countdown")).to_have_text(countdown(repair_deadline))
    web.screenshot(consumer, "consumer_case.png")

    # And the default language is Chinese (CONVENTIONS 9: Chinese in user-facing text)
    assert CJK.search(repairing), f"status 'repairing' is shown untranslated: {repairing!r}"


def test_refused_repair_is_ruled_refund_with_compensation_and_charged_to_the_merchant(
    web, market, people, travel
):
    # Given a shop with ¥100 on its balance and a repair request on a ¥200 order
    shop = ShopFactory(balance_fen=10_000)
    merchant_user = person("poor-shop", "merchant", shop=shop.code)
    order = market.order(shop=shop, consumer=people.consumer)
    case = file_repair(people, order)

    # When the merchant refuses it with a reason
    merchant = web.sign_in(merchant_user)
    merchant.goto(f"/cases/{case.case_no}/")
    action_form(merchant, "refuse").locator("textarea[name=reason]").fill("人为进水，不在保修范围")
    submit(merchant, "refuse")

    # Then it waits for the platform, which is advised to refund with compensation (2.6(4))
    expect(status_badge(merchant)).to_have_text(zh(STATUS_LABELS["platform_review"]))
    case.refresh_from_db()
    assert (case.status, case.recommended_outcome) == (
        "platform_review",
        "refund_with_compensation",
    )
    refusal = Event.objects.filter(subject_kind="case", subject_key=case.case_no).latest("seq")
    assert (refusal.actor, refusal.action, refusal.data["reason"]) == (
        merchant_user.username,
        "refuse",
        "人为进水，不在保修范围",
    )

    # When the agent picks it from the review queue and rules as recommended
    agent = web.sign_in(people.agent)
    expect(agent).to_have_url(web.url("/platform/"))
    row = agent.locator(f'[data-testid=review-queue] tr[data-case="{case.case_no}"]')
    expect(row).to_contain_text(zh(OUTCOME_LABELS["refund_with_compensation"]))
    row.locator(f'a[href="/cases/{case.case_no}/"]').click()
    expect(agent.locator("[data-testid=recommended]")).to_have_text(
        zh(OUTCOME_LABELS["refund_with_compensation"])
    )
    ruling = action_form(agent, "rule")
    expect(ruling.locator("select[name=outcome]")).to_have_value("refund_with_compensation")
    ruling.locator("textarea[name=note]").fill("商家拒绝维修，按规则退款并赔付")
    web.screenshot(agent, "platform_review.png")
    submit(agent, "rule")

    # Then the case is refunded, and the shop pays the refund and a ¥50 coupon (2.6)
    expect(status_badge(agent)).to_have_text(zh(STATUS_LABELS["refunded"]))
    case.refresh_from_db()
    assert (case.status, case.refunded_fen) == ("refunded", 20_000)
    assert list(
        LedgerEntry.objects.filter(shop=shop).order_by("id").values_list("kind", "amount_fen")
    ) == [(EntryKind.DEPOSIT, 10_000), (EntryKind.REFUND, -20_000), (EntryKind.COMPENSATION, -5000)]
    coupon = Coupon.objects.get(case=case)
    assert (coupon.consumer_id, coupon.amount_fen) == (people.consumer.id, 5000)
    assert shop_balance(shop.id) == -15_000

    # And the merchant's ledger shows both entries and the debt
    merchant.goto("/workbench/ledger/")
    balance = merchant.locator("[data-testid=balance]")
    expect(balance).to_have_text("-¥150.00")
    expect(balance).to_have_class(re.compile(r"\bnegative\b"))
    refund, compensation = (
        LedgerEntry.objects.get(shop=shop, kind=kind)
        for kind in (EntryKind.REFUND, EntryKind.COMPENSATION)
    )
    assert ledger_rows(merchant) == [
        [
            local(compensation.created_at),
            "赔付券",
            "货款余额",
            "-¥50.00",
            case.case_no,
            compensation.memo,
        ],
        [
            local(refund.created_at),
            "退款",
            "货款余额",
            "-¥200.00",
            case.case_no,
            f"退款 {case.case_no}",
        ],
        [local(shop.created_at), "充值/货款", "货款余额", "¥100.00", "", ""],
    ]


def test_case_page_fits_a_phone_screen(web, market, people, travel):
    # Given a repair request with a wide photo, seen by both parties on a 390 px phone
    case = file_repair(people, market.order(consumer=people.consumer), photo=png(1200, 400))
    for user in (people.consumer, people.merchant):
        page = web.sign_in(user, viewport=PHONE)
        page.goto(f"/cases/{case.case_no}/")
        expect(status_badge(page)).to_have_text(zh(STATUS_LABELS["awaiting_merchant"]))
        expect(page.locator("[data-testid=deadline] .countdown")).to_have_text(
            countdown(pending_deadline(case))
        )
        expect(page.locator("[data-testid=timeline] li")).to_have_count(1)
        # Then nothing is wider than the screen: no sideways scrolling
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[1] == 390
        assert widths[0] <= widths[1], f"{user.role}: page is {widths[0]} px wide"


def test_a_refusal_with_a_too_short_reason_keeps_what_was_typed(web, market, people, travel):
    case = file_repair(people, market.order(consumer=people.consumer))
    version = case.version
    merchant = web.sign_in(people.merchant)
    merchant.goto(f"/cases/{case.case_no}/")

    # When the merchant refuses with a one-character reason
    refuse = action_form(merchant, "refuse")
    refuse.locator("textarea[name=reason]").fill("差")
    submit(merchant, "refuse")

    # Then the form says why, naming the field as the page labels it, still open and still
    # holding the text, on the same page
    with translation.override("zh-hans"):
        message = gettext("%(label)s must be %(lo)d to %(hi)d characters long.") % {
            "label": gettext("Reason"),
            "lo": 2,
            "hi": 500,
        }
    refuse = merchant.locator('details[data-action="refuse"]')
    expect(refuse.locator(".errorlist")).to_have_text(message)
    expect(refuse).to_have_attribute("open", "")
    expect(refuse.locator("textarea[name=reason]")).to_have_value("差")
    expect(merchant).to_have_url(web.url(f"/cases/{case.case_no}/"))
    expect(status_badge(merchant)).to_have_text(zh(STATUS_LABELS["awaiting_merchant"]))

    # And nothing happened to the case
    case.refresh_from_db()
    assert (case.status, case.version) == ("awaiting_merchant", version)
    assert not Event.objects.filter(subject_key=case.case_no, action="refuse").exists()
    assert pending_deadline(case).name == "merchant_response_deadline"

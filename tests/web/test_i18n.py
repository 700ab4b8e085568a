"""Chinese first, English second: the message catalogues and the pages in both languages.

The catalogue checks extract every msgid the way `makemessages` does (Python sources through
their `django.utils.translation` imports, templates through Django's own `templatize`) and
read the .po and the committed .mo files with the standard library only."""

from __future__ import annotations

import ast
import gettext as stdlib_gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation.template import templatize

from aftersales.cases.effects import GUARDS
from aftersales.cases.models import Case
from aftersales.cases.services import create_case, perform_action
from aftersales.catalog.models import Category
from aftersales.deadlines.models import Deadline, DeadlineStatus
from aftersales.ledger.models import EntryKind, LedgerEntry
from aftersales.orders.models import OrderItem

SOURCE = Path(settings.BASE_DIR)
LOCALE = SOURCE / "locale"
LANGUAGES = ("zh_Hans", "en")

# --- reading catalogues and sources ---------------------------------------------------------


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


def _unquote(literal: str) -> str:
    return ast.literal_eval(literal)  # PO strings use C escapes, which Python reads the same


def read_po(path: Path) -> list[Entry]:
    """The active entries of a .po file (obsolete `#~` entries are not read)."""
    entries: list[Entry] = []
    flags: set[str] = set()
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None  # which string continuation lines extend
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            flags |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert entry is not None and target is not None, f"{path}: stray string {line}"
            name, index = target
            if index is None:
                setattr(entry, name, (getattr(entry, name) or "") + _unquote(line))
            else:
                entry.msgstrs[index] += _unquote(line)
        else:
            keyword, _space, literal = line.partition(" ")
            if keyword == "msgctxt" or (keyword == "msgid" and (entry is None or entry.msgstrs)):
                if entry is not None:
                    entries.append(entry)
                entry, flags = Entry(msgid="", flags=flags), set()
            assert entry is not None, f"{path}: {line}"
            if keyword in ("msgctxt", "msgid", "msgid_plural"):
                setattr(entry, keyword, _unquote(literal))
                target = (keyword, None)
            elif keyword.startswith("msgstr"):
                entry.msgstrs.append(_unquote(literal))
                target = ("msgstrs", len(entry.msgstrs) - 1)
            else:
                raise AssertionError(f"{path}: cannot read {line!r}")
    if entry is not None:
        entries.append(entry)
    return entries


GETTEXT_FUNCTIONS = {
    "gettext": "gettext",
    "gettext_lazy": "gettext",
    "gettext_noop": "gettext",
    "ngettext": "ngettext",
    "ngettext_lazy": "ngettext",
    "pgettext": "pgettext",
    "pgettext_lazy": "pgettext",
    "npgettext": "npgettext",
    "npgettext_lazy": "npgettext",
}


def _msgid_from_args(kind: str, args: list[str]) -> tuple[str | None, str]:
    if kind in ("pgettext", "npgettext"):
        return (args[0], args[1])
    return (None, args[0])


def python_msgids(path: Path) -> set[tuple[str | None, str]]:
    """Msgids of the gettext calls in one module, through the names it imports them as."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases: dict[str, str] = {}
    module_aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for name in node.names:
                if name.name in GETTEXT_FUNCTIONS:
                    aliases[name.asname or name.name] = GETTEXT_FUNCTIONS[name.name]
        elif isinstance(node, ast.ImportFrom) and node.module == "django.utils":
            module_aliases |= {n.asname or n.name for n in node.names if n.name == "translation"}
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        kind = None
        if isinstance(func, ast.Name) and func.id in aliases:
            kind = aliases[func.id]
        elif (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in module_aliases
            and func.attr in GETTEXT_FUNCTIONS
        ):
            kind = GETTEXT_FUNCTIONS[func.attr]
        if kind is None:
            continue
        literals = []
        for arg in node.args:
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                break
            literals.append(arg.value)
        if len(literals) >= (2 if kind in ("pgettext", "npgettext") else 1):
            found.add(_msgid_from_args(kind, literals))
        # else: a message chosen at run time, e.g. `_(failures[0])` in cases/engine.py; its
        # candidates are checked by name (test_guard_messages_are_translated).
    return found


_STRING = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_TEMPLATE_CALL = re.compile(
    rf"\b(gettext|ngettext|pgettext|npgettext|_)\(\s*({_STRING}(?:\s*,\s*{_STRING})*)"
)


def template_msgids(path: Path) -> set[tuple[str | None, str]]:
    """Msgids of one template, read from Django's `templatize` as `makemessages` does."""
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found = set()
    for call in _TEMPLATE_CALL.finditer(code):
        kind = "gettext" if call.group(1) == "_" else call.group(1)
        literals = [ast.literal_eval(s) for s in re.findall(_STRING, call.group(2))]
        found.add(_msgid_from_args(kind, literals))
    return found


def source_msgids() -> dict[tuple[str | None, str], list[str]]:
    """Every msgid used under src/aftersales, with where it is used."""
    used: dict[tuple[str | None, str], list[str]] = {}
    files = [
        (path, python_msgids)
        for path in sorted(SOURCE.rglob("*.py"))
        if "migrations" not in path.parts
    ] + [(path, template_msgids) for path in sorted(SOURCE.rglob("templates/**/*.html"))]
    for path, extract in files:
        for key in extract(path):
            used.setdefault(key, []).append(str(path.relative_to(SOURCE)))
    return used


_PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")


def placeholders(text: str) -> Counter[str]:
    return Counter(_PLACEHOLDER.findall(text.replace("%%", "")))


def catalogue(language: str) -> dict[tuple[str | None, str], Entry]:
    path = LOCALE / language / "LC_MESSAGES" / "django.po"
    return {entry.key: entry for entry in read_po(path) if entry.msgid}


# --- the catalogues -------------------------------------------------------------------------


def test_the_extraction_finds_what_the_consoles_and_services_say():
    # Given the sources, the extractor sees both Python and template msgids (a broken
    # extractor would make the coverage test below pass vacuously).
    used = source_msgids()
    assert (None, "Waiting for the merchant") in used  # cases/presentation.py
    assert (None, "Unknown action %(a)s.") in used  # cases/engine.py
    assert (None, "Workbench") in used  # web/templates/web/base.html
    assert (
        None,
        "By the platform's rules, if %(who)s does not act by %(due)s, %(outcome)s.",
    ) in used  # a blocktranslate
    assert len(used) > 250


def test_every_msgid_has_a_chinese_translation():
    zh = catalogue("zh_Hans")
    used = source_msgids()
    missing = {key[1]: where for key, where in used.items() if key not in zh}
    assert missing == {}, "run makemessages and translate these"
    untranslated = sorted(
        entry.msgid for entry in zh.values() if not all(s.strip() for s in entry.msgstrs)
    )
    assert untranslated == []
    fuzzy = sorted(entry.msgid for entry in zh.values() if "fuzzy" in entry.flags)
    assert fuzzy == []


def test_chinese_translations_keep_every_placeholder():
    mismatched = {
        entry.msgid: msgstr
        for entry in catalogue("zh_Hans").values()
        for msgstr in entry.msgstrs
        if placeholders(msgstr) != placeholders(entry.msgid)
    }
    assert mismatched == {}


def test_english_is_the_source_language():
    en = catalogue("en")
    used = source_msgids()
    assert sorted(key[1] for key in used if key not in en) == []
    # An empty msgstr falls back to the English msgid; anything else would rewrite it.
    rewritten = {
        entry.msgid: entry.msgstrs
        for entry in en.values()
        if any(s not in ("", entry.msgid) for s in entry.msgstrs)
    }
    assert rewritten == {}
    assert sorted(entry.msgid for entry in en.values() if "fuzzy" in entry.flags) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_headers_are_not_fuzzy_and_declare_utf8(language):
    path = LOCALE / language / "LC_MESSAGES" / "django.po"
    header = next(entry for entry in read_po(path) if entry.msgid == "")
    assert "fuzzy" not in header.flags  # msgfmt would drop a fuzzy header, and its charset
    assert "Content-Type: text/plain; charset=UTF-8\n" in header.msgstrs[0]
    assert f"Language: {language}\n" in header.msgstrs[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_files_are_compiled_from_the_po_files(language):
    directory = LOCALE / language / "LC_MESSAGES"
    with (directory / "django.mo").open("rb") as mo:
        compiled = dict(stdlib_gettext.GNUTranslations(mo)._catalog)
    compiled.pop("", None)
    expected = {}
    for entry in catalogue(language).values():
        if "fuzzy" in entry.flags or not any(entry.msgstrs):
            continue
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            expected[msgid] = entry.msgstrs[0]
        else:
            expected.update({(msgid, n): s for n, s in enumerate(entry.msgstrs)})
    assert compiled == expected, "run compilemessages"


def test_guard_messages_are_translated():
    # cases/engine.py translates a failed guard's message at run time (`_(failures[0])`), so
    # the messages in cases/effects.py GUARDS need catalogue entries like any literal msgid.
    zh = catalogue("zh_Hans")
    untranslated = [
        message
        for _condition, message in GUARDS.values()
        if (None, message) not in zh or not zh[(None, message)].msgstrs[0]
    ]
    assert untranslated == []


def test_django_picks_the_catalogues_up():
    with translation.override("zh-hans"):
        assert translation.gettext("Workbench") == "工作台"
        assert translation.gettext("Refund only") == "仅退款"
        assert translation.gettext("Case %(n)s not found.") % {"n": "AS1"} == "售后单 AS1 不存在。"
    with translation.override("en"):
        assert translation.gettext("Workbench") == "Workbench"
        assert translation.gettext("Refund only") == "Refund only"


# --- the pages in both languages ------------------------------------------------------------


@pytest.fixture(autouse=True)
def _leave_no_language_behind():
    """LocaleMiddleware activates a language in this thread; the next test starts afresh."""
    yield
    translation.deactivate()


def page(user, path: str, language: str | None) -> str:
    client = Client()
    if user is not None:
        client.force_login(user)
    if language is not None:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


@dataclass
class Scene:
    waiting: Case  # repair, awaiting the merchant
    in_review: Case  # repair refused by the merchant, with the platform
    refunded: Case  # refund only, agreed by the merchant


@pytest.fixture
def scene(market, travel) -> Scene:
    """Three cases of one consumer at one shop, in three states."""
    consumer, merchant = market.consumer.user, market.merchant.user
    # The waiting repair's order also holds a T-shirt, which stays open to other requests.
    two_items = market.order()
    OrderItem.objects.create(
        order=two_items,
        sku="TEE-1",
        title="T恤",
        category=Category.objects.get_or_create(name="服装")[0],
        quantity=1,
        unit_price_fen=5_000,
    )
    waiting = create_case(consumer, order_sn=two_items.order_sn, type="repair", reason="faulty")
    in_review = create_case(
        consumer, order_sn=market.order().order_sn, type="repair", reason="faulty"
    )
    perform_action(
        merchant,
        case_no=in_review.case_no,
        action="refuse",
        fields_in={"reason": "人为损坏，不在保修范围"},
    )
    refunded = create_case(
        consumer, order_sn=market.order().order_sn, type="refund_only", reason="quality"
    )
    perform_action(merchant, case_no=refunded.case_no, action="agree", fields_in={})
    for case in (waiting, in_review, refunded):
        case.refresh_from_db()
    assert (waiting.status, in_review.status, refunded.status) == (
        "awaiting_merchant",
        "platform_review",
        "refunded",
    )
    return Scene(waiting=waiting, in_review=in_review, refunded=refunded)


def merchant_deadline(case: Case) -> str:
    """The due time of the case's one running deadline, as the case page writes it."""
    deadline = Deadline.objects.get(
        subject_kind="case", subject_id=case.id, status=DeadlineStatus.PENDING
    )
    return timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M")


ZH, EN = "zh-hans", "en"

# Each page: who looks at it, its path, and fragments as they render in (Chinese, English).
PAGES = {
    "login": (
        None,
        "/login/",
        [
            ('<html lang="zh-hans">', '<html lang="en">'),
            ("<h1>登录售后平台</h1>", "<h1>Sign in to Aftersales</h1>"),
            (">用户名</label>", ">Username</label>"),
            (">密码</label>", ">Password</label>"),
            (">登录</button>", ">Sign in</button>"),
        ],
    ),
    "consumer orders": (
        "consumer",
        "/my/orders/",
        [
            ("<h1>我的订单</h1>", "<h1>My orders</h1>"),
            ("<h2>我的售后</h2>", "<h2>My after-sales requests</h2>"),
            (">我的优惠券</a>", ">My coupons</a>"),
            (
                "<th>售后单</th><th>类型</th><th>状态</th>",
                "<th>Case</th><th>Type</th><th>Status</th>",
            ),
            ("<td>维修</td>", "<td>Repair</td>"),
            ("<td>仅退款</td>", "<td>Refund only</td>"),
            (
                'status-awaiting_merchant">待商家处理</span>',
                'status-awaiting_merchant">Waiting for the merchant</span>',
            ),
            (
                'status-platform_review">平台介入中</span>',
                'status-platform_review">Platform reviewing</span>',
            ),
            ('status-refunded">已退款</span>', 'status-refunded">Refunded</span>'),
            ("<td>已签收 11-29</td>", "<td>Received 11-29</td>"),
            (">售后</a>", ">After-sales</a>"),
            (">退出登录</button>", ">Sign out</button>"),
        ],
    ),
    "order page": (
        "consumer",
        "/my/orders/{waiting_order}/",
        [
            ("<h1>订单 ", "<h1>Order "),
            ("<h2>申请哪种售后？</h2>", "<h2>Which after-sales service?</h2>"),
            ("<h2>订单详情</h2>", "<h2>Order details</h2>"),
            ("<strong>退货退款</strong>", "<strong>Return and refund</strong>"),
            ("<strong>换货</strong>", "<strong>Exchange</strong>"),
            (">进行中的申请: ", ">Open request: "),
            (">可申请</span>", ">Available</span>"),
            (">售后类型</label>", ">Request type</label>"),
            (">图片凭证</label>", ">Photos</label>"),
            (
                '<option value="no_reason">七天无理由退货</option>',
                '<option value="no_reason">Seven-day no-reason return</option>',
            ),
            (">提交申请</button>", ">Submit request</button>"),
            ("<h2>该订单的售后申请</h2>", "<h2>Requests on this order</h2>"),
        ],
    ),
    "case page (merchant)": (
        "merchant",
        "/cases/{waiting}/",
        [
            (
                'data-testid="case-status">待商家处理</span>',
                'data-testid="case-status">Waiting for the merchant</span>',
            ),
            ("<h2>下一步</h2>", "<h2>What happens next</h2>"),
            (
                "按平台规则，若您在 {due} 前未处理，视为商家同意。",
                "By the platform's rules, if you do not act by {due}, "
                "the merchant is deemed to agree.",
            ),
            ("<summary>同意</summary>", "<summary>Agree</summary>"),
            ("<summary>拒绝</summary>", "<summary>Refuse</summary>"),
            (">退货地址</label>", ">Return address</label>"),
            ("<h2>协商历史</h2>", "<h2>Timeline</h2>"),
            ("<strong>提交售后申请</strong>", "<strong>Request filed</strong>"),
            ("<dt>原因</dt><dd>商品故障</dd>", "<dt>Reason</dt><dd>Faulty</dd>"),
            ("<h2>本次申请的商品</h2>", "<h2>Items in this request</h2>"),
        ],
    ),
    "case page (agent)": (
        "agent",
        "/cases/{in_review}/",
        [
            (
                'data-testid="case-status">平台介入中</span>',
                'data-testid="case-status">Platform reviewing</span>',
            ),
            ("建议处理结果: ", "Recommended outcome: "),
            (
                '<strong data-testid="recommended">退款并赔付</strong>',
                '<strong data-testid="recommended">Refund with compensation</strong>',
            ),
            ("<summary>裁决</summary>", "<summary>Rule</summary>"),
            (">裁决结果</label>", ">Outcome</label>"),
            ("<strong>拒绝</strong>", "<strong>Refuse</strong>"),
            ("<p>事件链:", "<p>Event chain:"),
            ('data-testid="chain">校验通过</span>', 'data-testid="chain">verified</span>'),
        ],
    ),
    "workbench": (
        "merchant",
        "/workbench/",
        [
            ("<h1>工作台 ", "<h1>Workbench "),
            (">余额与流水</a>", ">Balance and ledger</a>"),
            (">资金流水</a>", ">Ledger</a>"),
            (">搜索</label>", ">Search</label>"),
            (
                '<option value="" selected>全部类型</option>',
                '<option value="" selected>All types</option>',
            ),
            (
                '<option value="" selected>全部状态</option>',
                '<option value="" selected>All statuses</option>',
            ),
            (">仅看进行中</label>", ">Open only</label>"),
            (">筛选</button>", ">Filter</button>"),
            ("<th>剩余时间</th>", "<th>Time left</th>"),
            ("<td>维修</td>", "<td>Repair</td>"),
            (">批量同意</button>", ">Agree to selected</button>"),
            ("<th>商品</th><th>买家</th>", "<th>Product</th><th>Buyer</th>"),
            (
                'data-testid="bulk-refuse">批量拒绝</button>',
                'data-testid="bulk-refuse">Refuse selected</button>',
            ),
        ],
    ),
    "ledger": (
        "merchant",
        "/workbench/ledger/",
        [
            ("<h1>余额与流水 ", "<h1>Balance and ledger "),
            ('<span class="muted">余额</span>', '<span class="muted">Balance</span>'),
            (
                "<th>时间</th><th>类型</th><th>账户</th><th>金额</th><th>售后单</th>",
                "<th>Time</th><th>Kind</th><th>Account</th><th>Amount</th><th>Case</th>",
            ),
            ('<th class="hide-sm">备注</th>', '<th class="hide-sm">Memo</th>'),
        ],
    ),
    "intervention queue": (
        "agent",
        "/platform/",
        [
            ("<h1>平台介入队列</h1>", "<h1>Intervention queue</h1>"),
            (">查询售后单</a>", ">Search cases</a>"),
            (
                "<th>建议处理结果</th><th>申请人</th><th>进入队列时间</th>",
                "<th>Recommended outcome</th><th>Requester</th><th>Waiting since</th>",
            ),
            ("<strong>退款并赔付</strong>", "<strong>Refund with compensation</strong>"),
        ],
    ),
    "search": (
        "agent",
        "/platform/search/",
        [
            ("<h1>查询售后单</h1>", "<h1>Search cases</h1>"),
            (">搜索</label>", ">Search</label>"),
            ("<th>店铺</th>", "<th>Shop</th>"),
            (
                'status-awaiting_merchant">待商家处理</span>',
                'status-awaiting_merchant">Waiting for the merchant</span>',
            ),
            (
                'status-platform_review">平台介入中</span>',
                'status-platform_review">Platform reviewing</span>',
            ),
        ],
    ),
    "profile": (
        "consumer",
        "/account/",
        [
            ("<h1>我的账号</h1>", "<h1>My account</h1>"),
            ("<dt>用户名</dt>", "<dt>Username</dt>"),
            (">修改密码</a>", ">Change password</a>"),
            ("<h2>API 令牌</h2>", "<h2>API tokens</h2>"),
            ("<td>有效</td>", "<td>Active</td>"),
            (">吊销</button>", ">Revoke</button>"),
            (">新建令牌</button>", ">New token</button>"),
        ],
    ),
}


@pytest.mark.parametrize("language", [ZH, EN])
@pytest.mark.parametrize("name", PAGES)
def test_page_speaks_the_chosen_language(scene, market, name, language):
    # Given three cases and the language cookie, when the page renders,
    # then it shows that language's words and not the other's.
    role, path, pairs = PAGES[name]
    user = None if role is None else getattr(market, role).user
    html = page(
        user,
        path.format(
            waiting=scene.waiting.case_no,
            in_review=scene.in_review.case_no,
            waiting_order=scene.waiting.order.order_sn,
        ),
        language,
    )
    due = merchant_deadline(scene.waiting)
    chinese, english = [zh for zh, _en in pairs], [en for _zh, en in pairs]
    shown, hidden = (chinese, english) if language == ZH else (english, chinese)
    assert [f for f in shown if f.format(due=due) not in html] == []
    assert [f for f in hidden if f.format(due=due) in html] == []


def test_chinese_is_the_default_without_a_choice(db):
    html = page(None, "/login/", None)
    assert '<html lang="zh-hans">' in html
    assert "<h1>登录售后平台</h1>" in html


def test_the_ledger_lists_the_refund(scene, market):
    refund = LedgerEntry.objects.get(case=scene.refunded, shop=market.shop)
    assert (refund.kind, refund.amount_fen) == (EntryKind.REFUND, -20_000)
    html = page(market.merchant.user, "/workbench/ledger/", ZH)
    assert "<td>退款</td><td>货款余额</td><td>-¥200.00</td>" in html
    assert f'<a href="/cases/{scene.refunded.case_no}/">{scene.refunded.case_no}</a>' in html


def test_role_and_ledger_kind_are_english_in_english(scene, market):
    # The profile shows the role, and the ledger the entry kind, through the models' choices,
    # which are translated like every other label (cases/presentation.py ROLE_LABELS).
    profile = page(market.consumer.user, "/account/", EN)
    assert "<dt>Role</dt><dd>Consumer</dd>" in profile
    ledger = page(market.merchant.user, "/workbench/ledger/", EN)
    assert "<td>Refund</td><td>Sales balance</td><td>-¥200.00</td>" in ledger

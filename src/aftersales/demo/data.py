"""The demo marketplace as data: who trades, what they sell, what they write, and the route
each demo case takes to reach its status.

Money is integer fen. Routes name only the interesting fields of an action; the loader fills
in shipments (carrier and tracking number) and the texts people write from the pools below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

DEMO_PASSWORD = "demo1234"


@dataclass(frozen=True)
class ShopSpec:
    code: str
    name: str
    return_address: str
    balance_fen: int
    categories: tuple[str, ...]
    merchant: str  # the username of the shop's customer-service account
    merchant_name: str


SHOPS: tuple[ShopSpec, ...] = (
    ShopSpec(
        "demo-huaqiang",
        "华强北数码旗舰店",
        "广东省深圳市福田区华强北路1002号赛格广场18楼 售后部 陈师傅 0755-83281234",
        8_000_000,
        ("手机", "电脑", "3C数码配件", "相机/摄像机", "智能设备"),
        "merchant1",
        "华强北数码 客服小陈",
    ),
    ShopSpec(
        "demo-meijia",
        "美家厨电专营店",
        "广东省佛山市顺德区北滘镇美的大道6号 售后仓 李工 0757-26601234",
        6_000_000,
        ("厨房电器", "生活电器", "大家电", "个护健康"),
        "merchant2",
        "美家厨电 售后李工",
    ),
    ShopSpec(
        "demo-chaoyi",
        "潮衣库服饰旗舰店",
        "浙江省杭州市余杭区良渚街道好运路88号 退换货组 王女士 0571-88123456",
        3_000_000,
        ("服装", "鞋靴", "运动户外"),
        "merchant3",
        "潮衣库 客服晓雯",
    ),
    ShopSpec(
        "demo-xianguo",
        "鲜果时光生鲜馆",
        "山东省烟台市栖霞市庄园路16号 冷链仓 赵经理 0535-5219876",
        1_500_000,
        ("生鲜", "食品"),
        "merchant4",
        "鲜果时光 客服阿果",
    ),
    ShopSpec(
        "demo-lejia",
        "乐家日用百货店",
        "江苏省苏州市吴中区木渎镇金山路300号 售后处 周先生 0512-66551234",
        2_500_000,
        ("家居日用", "母婴", "美妆", "钟表眼镜", "图书"),
        "merchant5",
        "乐家百货 客服小周",
    ),
)

CARRIERS: tuple[tuple[str, str], ...] = (
    ("sf", "顺丰速运"),
    ("zto", "中通快递"),
    ("yto", "圆通速递"),
    ("yunda", "韵达快递"),
    ("jd", "京东物流"),
)
# Each carrier's customer-service desk: its demo account works the carrier's ticket tasks.
CARRIER_DESKS: dict[str, str] = {code: f"courier-{code}" for code, _name in CARRIERS}

# How each carrier's waybill numbers look: (prefix, number of digits after it).
TRACKING_FORMATS: dict[str, tuple[str, int]] = {
    "sf": ("SF", 13),
    "zto": ("75", 13),
    "yto": ("YT", 13),
    "yunda": ("43", 13),
    "jd": ("JDV", 12),
}

# (username, role, display name)
STAFF: tuple[tuple[str, str, str], ...] = (
    ("admin", "admin", "平台管理员"),
    ("agent", "agent", "平台客服 安然"),
)

CONSUMER_NAMES: tuple[str, ...] = (
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "陈静",
    "杨磊",
    "赵敏",
    "黄丽",
    "周杰",
    "吴霞",
    "徐强",
    "孙婷",
    "马超",
    "朱琳",
    "胡斌",
    "郭佳",
    "何鑫",
    "高雪",
    "林峰",
    "罗丹",
)
CONSUMERS: tuple[tuple[str, str], ...] = tuple(
    (f"consumer{n}", name) for n, name in enumerate(CONSUMER_NAMES, start=1)
)

REGIONS: tuple[str, ...] = (
    "上海市浦东新区",
    "北京市朝阳区",
    "广东省广州市",
    "广东省深圳市",
    "浙江省杭州市",
    "江苏省南京市",
    "四川省成都市",
    "湖北省武汉市",
    "陕西省西安市",
    "重庆市渝北区",
    "湖南省长沙市",
    "福建省厦门市",
    "山东省青岛市",
    "河南省郑州市",
    "天津市河西区",
)

# Product titles and unit prices (fen) per category, as the rules name categories.
PRODUCTS: dict[str, tuple[tuple[str, int], ...]] = {
    "手机": (
        ("小米14 12GB+256GB 黑色 5G手机", 399900),
        ("华为 nova 12 8GB+256GB 樱语白", 259900),
        ("荣耀X50 5G 12GB+256GB 典雅黑", 139900),
        ("OPPO Reno11 5G 12GB+256GB 萤石青", 249900),
    ),
    "电脑": (
        ("联想小新Pro14 2024 酷睿Ultra5 32G+1T", 549900),
        ("华为MateBook D 14 i5 16G+512G", 429900),
        ("机械革命 蛟龙16 游戏本 R7 RTX4060", 599900),
    ),
    "3C数码配件": (
        ("绿联 65W 氮化镓三口快充充电器", 12900),
        ("倍思 20000mAh 22.5W 快充充电宝", 9900),
        ("罗技 M650 无线静音鼠标", 19900),
        ("漫步者 W820NB 主动降噪头戴耳机", 29900),
    ),
    "相机/摄像机": (
        ("大疆 Osmo Action 4 运动相机 标准套装", 249800),
        ("佳能 EOS R50 微单相机 18-45套机", 569900),
    ),
    "智能设备": (
        ("小米手环8 NFC版 亮黑色", 24900),
        ("小度智能音箱 Play 蓝牙音箱", 9900),
    ),
    "厨房电器": (
        ("美的 智能电饭煲 4L 24小时预约", 29900),
        ("九阳 破壁机 Y1 免手洗 1.2L", 59900),
        ("苏泊尔 电压力锅 5L 双胆", 39900),
        ("小熊 可视空气炸锅 4.5L", 19900),
    ),
    "生活电器": (
        ("戴森 V8 Slim 无线吸尘器", 199000),
        ("美的 落地扇 七叶遥控款", 19900),
        ("飞利浦 双杆挂烫机 STE3170", 29900),
    ),
    "大家电": (
        ("海尔 10公斤 变频滚筒洗衣机 EG100", 259900),
        ("格力 1.5匹 新一级能效 变频空调挂机", 329900),
    ),
    "个护健康": (
        ("飞利浦 声波电动牙刷 HX2421", 19900),
        ("松下 纳诺怡 吹风机 EH-NA9G", 99900),
    ),
    "服装": (
        ("纯棉短袖T恤 男款 白色 XL", 5900),
        ("高腰阔腿牛仔裤 女款 浅蓝 27码", 12900),
        ("轻薄白鸭绒羽绒服 女款 M", 29900),
        ("加绒连帽卫衣 男款 灰色 L", 8900),
    ),
    "鞋靴": (
        ("李宁 赤兔6 轻量跑步鞋 42码", 32900),
        ("回力 经典帆布鞋 白色 38码", 6900),
    ),
    "运动户外": (
        ("加厚防滑瑜伽垫 10mm", 4900),
        ("迪卡侬 登山双肩包 30L", 19900),
    ),
    "生鲜": (
        ("烟台红富士苹果 5斤装 单果80mm+", 3990),
        ("海南麒麟西瓜 1个 约8斤", 4590),
        ("阳光玫瑰青提 2斤 礼盒装", 5990),
        ("阳澄湖大闸蟹 公4两母3两 8只装", 19800),
    ),
    "食品": (
        ("三只松鼠 每日坚果礼盒 1.5kg", 12900),
        ("五常稻花香大米 10斤", 6990),
        ("柳州螺蛳粉 5包装", 3590),
    ),
    "家居日用": (
        ("全棉磨毛四件套 1.8m床", 19900),
        ("原木抽纸 3层100抽 24包整箱", 4590),
        ("透明收纳箱 带盖 3只装", 5990),
    ),
    "母婴": (
        ("花王 妙而舒 纸尿裤 L54片", 13900),
        ("婴儿手口湿巾 80抽×10包", 5990),
    ),
    "美妆": (
        ("完美日记 小细跟口红 #M02", 6990),
        ("珀莱雅 双抗精华 30ml", 22900),
    ),
    "钟表眼镜": (
        ("天王表 石英男士腕表 钢带", 129900),
        ("暴龙 偏光太阳镜 BL3070", 39900),
    ),
    "图书": (
        ("《三体》全集 典藏版 全三册", 9900),
        ("《活着》余华 精装", 2990),
    ),
}

# The categories a demo case of each type is filed for (repair: rule 1.2's list only;
# no-reason returns: no excluded categories such as 生鲜).
CASE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "refund_only": ("生鲜", "食品", "服装", "美妆", "3C数码配件", "家居日用", "母婴"),
    "return_refund": ("服装", "鞋靴", "3C数码配件", "家居日用", "生活电器", "运动户外", "美妆"),
    "exchange": ("服装", "鞋靴", "3C数码配件", "运动户外", "家居日用"),
    "resend": ("食品", "生鲜", "家居日用", "母婴", "3C数码配件"),
    "repair": (
        "手机",
        "电脑",
        "3C数码配件",
        "相机/摄像机",
        "智能设备",
        "厨房电器",
        "生活电器",
        "大家电",
        "个护健康",
        "钟表眼镜",
    ),
}

# Reasons a case of each type is usually filed with (cases.models.Reason values).
CASE_REASONS: dict[str, tuple[str, ...]] = {
    "refund_only": ("quality", "damaged", "not_as_described"),
    "return_refund": ("no_reason", "no_reason", "quality", "not_as_described"),
    "exchange": ("not_as_described", "wrong_item", "quality"),
    "resend": ("missing_item",),
    "repair": ("faulty", "quality"),
}

DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "no_reason": (
        "不想要了，商品未拆封，包装完好。",
        "买多了一件，七天无理由退货。",
        "和家里已有的重复了，吊牌未拆。",
    ),
    "quality": ("用了两天就出现质量问题，做工很差。", "收到后发现有明显瑕疵，影响使用。"),
    "damaged": ("快递外箱压坏，商品有破损，已拍照。", "收到时已经碎了，附开箱照片。"),
    "faulty": (
        "开机后频繁死机重启，充电时严重发烫。",
        "使用一周后无法开机，指示灯不亮。",
        "运行时异响很大，偶尔自动断电。",
        "屏幕出现竖线，触摸失灵。",
    ),
    "not_as_described": ("颜色和详情页差别很大，尺码也偏小一码。", "材质与描述不符，不是纯棉。"),
    "wrong_item": ("下单的是黑色42码，收到的是白色40码。", "发错型号了，和订单不一致。"),
    "missing_item": (
        "订单是两件，包裹里只有一件。",
        "少发了赠品和说明书，配件不全。",
        "箱子里少了一袋，重量明显不对。",
    ),
    "not_received": ("物流显示已签收，但本人没有收到。", "快递三天没有更新，一直未收到货。"),
    "other": ("拍错了规格，还没发货，申请退款。", "不想要了，尚未发货请直接退款。"),
}

# What people write in the text fields of actions.
TEXTS: dict[str, tuple[str, ...]] = {
    "refuse": (
        "商品已使用，影响二次销售，不支持该申请。",
        "买家提供的照片无法证明质量问题。",
        "已超出承诺的售后范围，请联系客服协商。",
    ),
    "refuse_return": (
        "退回商品缺少配件和原包装，不符合退货条件。",
        "退回的商品有明显人为损坏痕迹。",
    ),
    "request_intervention": ("商家拒绝不合理，申请平台介入处理。", "和商家沟通无果，请平台裁定。"),
    "report_problem": ("换来的商品还是有同样的问题。", "补寄的包裹里东西也是坏的。"),
    "report_not_received": (
        "物流显示签收但本人未收到，已联系快递员。",
        "超过七天仍未收到寄回的商品。",
    ),
    "report_breach": ("商家没有按协商的方案退还差价。", "约定的付费维修迟迟没有处理。"),
    "cancel": ("问题已自行解决，不需要了。", "重新买了一个，撤销申请。"),
    "intervene": ("该商家近期同类投诉较多，平台主动介入核实。", "消费者来电投诉，平台介入。"),
    "inspection_report": (
        "品牌授权检测报告：主板进水腐蚀，属人为损坏，不在保修范围。",
        "第三方检测报告：外壳跌落变形导致内部断裂，不符合免费维修标准。",
    ),
    "terms": (
        "协商付费维修，买家承担一半维修费用，商家七天内修好寄回。",
        "商家部分退款作为补偿，商品由买家自行处理。",
    ),
    "note": ("已核实物流轨迹与聊天记录。", "根据双方举证作出裁定。"),
    "reapply": ("补充了开箱视频和细节照片，请重新处理。",),
}


# --- Routes: how a demo case reaches each status of its workflow --------------------------

Party = Literal["consumer", "merchant", "agent", "system"]


@dataclass(frozen=True)
class Percent:
    """An amount given as a share of the case amount (resolved by the loader, in whole fen)."""

    value: int


@dataclass(frozen=True)
class Step:
    """One move: a person's action, or (`system`) a timer the sweeper fires when it is due."""

    actor: Party
    action: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    steps: tuple[Step, ...]
    # The order behind the case: paid only, shipped but not received, or received.
    order_state: Literal["paid", "shipped", "received"] = "received"
    reason: str | None = None  # default: one of CASE_REASONS[type]


# One letter per party keeps each route on one line, readable beside its workflow table:
# C consumer, M merchant, A platform agent, S system (a timer fired by the sweeper).
def C(action: str, **fields: Any) -> Step:
    return Step("consumer", action, fields)


def M(action: str, **fields: Any) -> Step:
    return Step("merchant", action, fields)


def A(action: str, **fields: Any) -> Step:
    return Step("agent", action, fields)


def S(action: str) -> Step:
    return Step("system", action)


def route(
    *steps: Step,
    order_state: Literal["paid", "shipped", "received"] = "received",
    reason: str | None = None,
) -> Route:
    return Route(tuple(steps), order_state, reason)


RULING_NOTES = {
    "reject": "核实物流与聊天记录，商家处理符合规则，驳回申请。",
    "repair": "检测报告不足以证明人为损坏，由商家维修。",
    "exchange": "商品存在质量问题，由商家换货。",
}


def rule(outcome: str, **fields: Any) -> Step:
    """An agent's ruling, with the reason every ruling gives."""
    fields.setdefault("note", RULING_NOTES.get(outcome, "核实凭证后，消费者诉求合理，支持退款。"))
    return A("rule", outcome=outcome, **fields)


REFUSED_TO_REVIEW = (M("refuse"), C("request_intervention"))


def offer(*, return_goods: bool | None = None) -> Step:
    """The merchant's counter-offer: 70% of the request (and, for a return, keep the goods)."""
    fields: dict[str, Any] = {
        "amount_fen": Percent(70),
        "note": "商品不影响使用，给您退七成可以吗？",
    }
    if return_goods is not None:
        fields["return_goods"] = return_goods
    return M("offer", **fields)


REFUND_ONLY: dict[str, tuple[Route, ...]] = {
    "awaiting_merchant": (
        route(),
        route(M("refuse"), C("reapply")),
        route(A("shorten_deadline", remaining_hours=24)),
        route(offer(), C("decline_offer")),
    ),
    "offer_pending": (route(offer()),),
    "refused": (route(M("refuse")), route(M("refuse"), C("reapply"), M("refuse"))),
    "platform_review": (route(*REFUSED_TO_REVIEW), route(A("intervene"))),
    "refunded": (
        route(M("agree")),
        route(S("agree")),
        route(M("agree"), order_state="paid", reason="other"),  # stops the parcel (拒收)
        route(S("agree"), order_state="shipped", reason="not_received"),
        route(*REFUSED_TO_REVIEW, rule("refund")),
        route(*REFUSED_TO_REVIEW, rule("partial_refund", amount_fen=Percent(50))),
        route(offer(), C("accept_offer")),
    ),
    "cancelled": (route(C("cancel")), route(M("refuse"), C("cancel"))),
    "closed": (route(*REFUSED_TO_REVIEW, rule("reject")),),
    "expired": (route(M("refuse"), S("expire")),),
}

RETURNED = (M("agree"), C("ship_return"))

RETURN_REFUND: dict[str, tuple[Route, ...]] = {
    "awaiting_merchant": (route(), route(M("refuse"), C("reapply"))),
    "offer_pending": (route(offer(return_goods=False)),),
    "awaiting_return": (route(M("agree")), route(S("agree"))),
    "return_in_transit": (route(*RETURNED),),
    "refused": (route(M("refuse")), route(*RETURNED, M("refuse_return"))),
    "platform_review": (
        route(*RETURNED, M("refuse_return"), C("request_intervention")),
        route(M("agree"), A("intervene")),
    ),
    "refunded": (
        route(*RETURNED, M("confirm_return")),
        route(S("agree"), C("ship_return"), S("confirm_return")),
        # the consumer keeps the goods: the ruling says so (2.7)
        route(*REFUSED_TO_REVIEW, rule("refund_with_compensation", return_goods=False)),
    ),
    "cancelled": (route(C("cancel")), route(M("agree"), C("cancel"))),
    "closed": (route(*RETURNED, M("refuse_return"), C("request_intervention"), rule("reject")),),
    "expired": (route(M("agree"), S("expire")), route(M("refuse"), S("expire"))),
}

EXCHANGED = (*RETURNED, M("ship_replacement"))
RULED_EXCHANGE = (*REFUSED_TO_REVIEW, rule("exchange"))

EXCHANGE: dict[str, tuple[Route, ...]] = {
    "awaiting_merchant": (route(),),
    "awaiting_return": (route(M("agree")),),
    "return_in_transit": (route(*RETURNED),),
    "replacement_shipped": (route(*EXCHANGED),),
    "refused": (route(M("refuse")), route(*RETURNED, M("refuse_return"))),
    "awaiting_replacement": (route(*RULED_EXCHANGE),),
    "platform_review": (route(*EXCHANGED, C("report_problem")),),
    "completed": (
        route(*EXCHANGED, C("confirm_received")),
        route(S("agree"), C("ship_return"), M("ship_replacement"), S("confirm_received")),
        route(*RULED_EXCHANGE, M("ship_replacement"), C("confirm_received")),
    ),
    "refunded": (
        route(*RETURNED, S("timeout_refund")),
        route(*RULED_EXCHANGE, S("timeout_refund")),
    ),
    "cancelled": (route(C("cancel")), route(M("refuse"), C("cancel"))),
    "closed": (route(A("intervene"), rule("reject")),),
    "expired": (route(M("agree"), S("expire")), route(M("refuse"), S("expire"))),
}

RESENT = (M("agree"), M("ship_resend"))

RESEND: dict[str, tuple[Route, ...]] = {
    "awaiting_merchant": (route(),),
    "awaiting_resend": (route(M("agree")), route(S("agree"))),
    "resend_shipped": (route(*RESENT),),
    "refused": (route(M("refuse")),),
    "platform_review": (route(*RESENT, C("report_problem")), route(*REFUSED_TO_REVIEW)),
    "completed": (route(*RESENT, C("confirm_received")), route(*RESENT, S("confirm_received"))),
    "refunded": (
        route(M("agree"), S("timeout_refund")),
        route(*RESENT, C("report_problem"), rule("refund")),
    ),
    "cancelled": (route(M("agree"), C("cancel")),),
    "closed": (route(*REFUSED_TO_REVIEW, rule("reject")),),
    "expired": (route(M("refuse"), S("expire")),),
}

# Repair (seed 000), by clause: 2.2 agree, 2.3 ship back and inspect, 2.3.1 repaired,
# 2.3.2 fails inspection, 2.4 cancel, 2.6 compensation, 2.7 the platform's rulings.
ARRIVED = (M("agree"), C("ship_return", return_shipping_fen=1500))
INSPECTED = (*ARRIVED, M("confirm_receipt"), M("inspect", result="meets"))
REPAIRED = (*INSPECTED, M("ship_repaired"))
FAILED = (*ARRIVED, M("inspect", result="fails"))
SENT_BACK = (*FAILED, C("accept_result"), M("ship_back"))
REPAIR_EXCHANGE = (M("refuse"), rule("exchange"))

REPAIR: dict[str, tuple[Route, ...]] = {
    "awaiting_merchant": (route(), route(A("shorten_deadline", remaining_hours=24))),
    "awaiting_return": (route(M("agree")), route(S("agree"))),
    "inspecting": (route(*ARRIVED), route(*ARRIVED, M("confirm_receipt"))),
    "repairing": (
        route(*INSPECTED),
        route(*ARRIVED, S("inspect")),
        route(M("refuse"), rule("repair")),
    ),
    "repaired_shipped": (route(*REPAIRED),),
    "inspection_failed": (route(*FAILED),),
    "returning_unrepaired": (
        route(*FAILED, C("accept_result")),
        route(*FAILED, S("accept_result")),
    ),
    "unrepaired_shipped": (route(*SENT_BACK),),
    "negotiated": (route(*FAILED, C("negotiate", amount_fen=Percent(30))),),
    "returning_after_cancel": (
        route(*ARRIVED, M("confirm_receipt"), C("cancel")),
        route(*INSPECTED, C("cancel")),
    ),
    "awaiting_replacement": (route(*REPAIR_EXCHANGE),),
    "replacement_shipped": (route(*REPAIR_EXCHANGE, M("ship_replacement")),),
    "platform_review": (
        route(M("refuse")),  # 2.6(4): recommended refund with compensation
        route(*REPAIRED, C("report_not_received")),
        route(*FAILED, C("negotiate"), C("report_breach")),
        route(*FAILED, C("request_intervention")),
        route(*FAILED, C("accept_result"), S("escalate")),
        route(*ARRIVED, M("confirm_receipt"), C("cancel"), S("escalate")),
        route(A("intervene")),
    ),
    "completed": (
        route(*REPAIRED, C("confirm_received")),
        route(*REPAIRED, S("confirm_received")),
        route(*SENT_BACK, C("confirm_received")),
        route(*FAILED, C("negotiate"), M("fulfil")),
        route(*REPAIR_EXCHANGE, M("ship_replacement"), C("confirm_received")),
    ),
    "refunded": (
        route(M("refuse"), rule("refund_with_compensation")),
        route(*INSPECTED, S("timeout_refund")),  # 2.6(1): not repaired within 20 days
        route(*REPAIR_EXCHANGE, S("timeout_refund")),
        route(*SENT_BACK, C("report_not_received"), rule("refund_with_compensation")),
    ),
    "cancelled": (
        route(C("cancel")),
        route(*ARRIVED, C("cancel")),
        route(*ARRIVED, M("confirm_receipt"), C("cancel"), M("ship_back")),
    ),
    "closed": (route(*FAILED, C("request_intervention"), rule("reject")),),
    "expired": (route(M("agree"), S("expire")),),
}

# type → status → the routes that lead there (every status of every workflow table).
ROUTES: dict[str, dict[str, tuple[Route, ...]]] = {
    "refund_only": REFUND_ONLY,
    "return_refund": RETURN_REFUND,
    "exchange": EXCHANGE,
    "resend": RESEND,
    "repair": REPAIR,
}

EXTRA_ORDERS = 200  # orders without a case, beside the one behind each demo case

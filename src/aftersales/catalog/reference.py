"""Reference category lists as the rules write them, loaded by a data migration."""

# Rule 1.2 (seed 000): the categories repair applies to.
REPAIR_CATEGORIES = [
    "手机",
    "电脑",
    "3C数码配件",
    "二手数码",
    "五金工具",
    "厨房电器",
    "电动车/配件/交通工具",
    "汽车/用品/配件/改装",
    "办公用品",
    "影音电器",
    "生活电器",
    "个护健康",
    "钟表眼镜",
    "相机/摄像机",
    "大家电",
    "智能设备",
]

# Categories excluded from seven-day no-reason returns (Consumer Rights Protection Law art. 25).
NO_REASON_RETURN_EXCLUDED = [
    "定制商品",
    "生鲜",
    "鲜花绿植",
    "已拆封数字商品",
    "报纸期刊",
    "虚拟商品",
]

# Other categories the demo and imports commonly use.
OTHER_CATEGORIES = ["服装", "鞋靴", "美妆", "母婴", "家居日用", "食品", "图书", "运动户外"]

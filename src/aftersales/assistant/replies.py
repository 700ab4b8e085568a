"""What the assistant says. The assistant speaks Chinese to consumers by design (seeds 002,
004); like the knowledge base, these sentences are content, kept in one place."""

TYPE_NAMES = {
    "refund_only": "仅退款",
    "return_refund": "退货退款",
    "exchange": "换货",
    "resend": "补寄",
    "repair": "维修",
}

GREETING = "您好，我是售后智能助手，可以帮您申请退款、退货、换货、维修，查询进度和物流。请问有什么可以帮您？"
THANKS = "不客气，很高兴能帮到您！还有其他问题随时找我。"
CHITCHAT = "我是售后智能助手，主要帮您处理订单和售后问题。请问订单有什么需要帮忙的吗？"
NOT_UNDERSTOOD = (
    "抱歉，我没太明白您的意思。您可以说“我要退货”“退款到哪了”“快递到哪了”，或者回复“转人工”。"
)
NO_ANSWER = "这个问题我暂时没有找到准确的规则说明，不想给您错误的答复。需要为您转接人工客服吗？"
HANDOVER = "已为您转接人工客服（当前排队优先级：{priority}），客服会看到我们刚才的对话，请稍候。"
HANDOVER_ANGRY = "非常抱歉给您带来不好的体验，我已经把您的问题加急转给人工客服，客服会看到完整的对话记录，请稍候。"
STILL_QUEUED = "人工客服正在赶来，请稍候，您可以继续补充情况。"
NO_ORDERS = "没有找到您近期的订单。请提供订单号（例如 261126-012345678901234）。"
ORDER_NOT_FOUND = "没有在您的账户下找到订单 {order_sn}，请核对订单号。"
WHICH_ORDER = "您有多个订单，请问是哪一个？回复序号或订单号即可：\n{choices}"
WHICH_CASE = "您有多个售后单，请问是哪一个？回复序号或售后单号即可：\n{choices}"
NO_CASE = "您目前没有进行中的售后申请。需要为您申请售后吗？"
CONFIRM_CASE = "确认为订单 {order_sn}（{title}）申请{type_name}吗？回复“确认”提交，回复“取消”放弃。"
NOT_ELIGIBLE = "抱歉，订单 {order_sn} 不能申请{type_name}：{reason}"
CASE_CREATED = "已为您提交{type_name}申请，售后单号 {case_no}。{next_step}"
CONFIRM_CANCEL = "确认撤销售后单 {case_no}（{type_name}）吗？回复“确认”撤销。"
CASE_CANCELLED = "售后单 {case_no} 已撤销。"
CANCEL_REFUSED = "售后单 {case_no} 现在不能撤销：{reason}"
DECLINED = "好的，已为您取消，有需要随时找我。"
CASE_STATUS = "售后单 {case_no}（{type_name}）当前状态：{status}。{next_step}"
NEXT_DEADLINE = "下一步：若 {due} 前无人处理，{outcome}。"
NO_DEADLINE = "目前没有进行中的时限。"
REFUNDED = "已退款 ¥{amount}，原路退回一般1至3天到账（银行卡最长7个工作日）。"
ORDER_SHIPPING = "订单 {order_sn}：{state}"
NOT_SHIPPED = "商家还没有发货。"
IN_TRANSIT = "已由{carrier}发出（运单号 {tracking}），发货时间 {shipped}，正在配送中。"
DELIVERED = "已于 {received} 签收。"
CONFIRM_TICKET = (
    "确认为订单 {order_sn} 提交物流异常工单吗？商家和快递公司会一起核实。回复“确认”提交。"
)
TICKET_CREATED = (
    "已提交工单 {ticket_no}，商家和快递公司会尽快核实处理，进度可以在“我的工单”里查看。"
)
TICKET_NOT_SHIPPED = (
    "订单 {order_sn} 商家还没有发货，还没有包裹交给快递，所以暂时没有物流可以追查。"
    "您可以回复“催发货”，我帮您催商家尽快发货；如果不想要了，可以回复“我要退款”，为您申请仅退款。"
)
TICKET_REFUSED = "抱歉，暂时不能为订单 {order_sn} 提交物流异常工单：{reason}"
URGED = "已帮您催促商家发货（工单 {ticket_no}），商家会尽快处理。"
ALREADY_SHIPPED = "订单 {order_sn} 已经发货了。{state}"
FROM_ARTICLE = "{answer}\n（依据：《{title}》）"

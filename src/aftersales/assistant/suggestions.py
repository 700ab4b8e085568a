"""Suggested replies for people: 1–3 drafts from the policy and the case's state, which the
merchant or agent edits and sends."""

from __future__ import annotations

from aftersales.assistant.composition import describe_case
from aftersales.assistant.kb import knowledge_base
from aftersales.assistant.models import Conversation
from aftersales.assistant.replies import TYPE_NAMES
from aftersales.cases.models import Case

_BY_STATUS = {
    "awaiting_merchant": "您好，您的{type}申请我们已收到，会尽快处理，请您耐心等待。",
    "awaiting_return": "您好，申请已同意，请按退货地址寄回商品并在售后页面填写物流单号：{address}",
    "return_in_transit": "您好，您寄回的商品我们收到后会第一时间验收处理。",
    "inspecting": "您好，商品已在检测中，检测完成后会第一时间告知结果。",
    "repairing": "您好，商品正在维修，修好后会尽快寄回并上传物流单号。",
    "refused": "您好，很抱歉这次未能同意您的申请，如有疑问可以补充凭证重新申请或申请平台介入。",
    "platform_review": "您好，平台已介入，会核实物流和凭证后给出处理结果，请您留意消息。",
    "refunded": "您好，款项已原路退回，一般1至3天到账，请您留意。",
}


def for_case(case: Case) -> list[str]:
    drafts = []
    template = _BY_STATUS.get(case.status)
    if template:
        drafts.append(
            template.format(
                type=TYPE_NAMES[case.type], address=case.return_address or case.shop.return_address
            )
        )
    drafts.append("您好，" + describe_case(case))
    hit = knowledge_base().answer(
        case.description or TYPE_NAMES[case.type],
        intent={
            "repair": "repair_request",
            "return_refund": "return_request",
            "exchange": "exchange_request",
            "refund_only": "refund_request",
            "resend": "missing_item",
        }[case.type],
    )
    if hit:
        drafts.append(f"您好，{hit.article.summary}（依据《{hit.article.title}》）")
    return list(dict.fromkeys(drafts))[:3]


def for_conversation(conversation: Conversation) -> list[str]:
    last = conversation.messages.filter(sender="consumer").order_by("-id").first()
    drafts = []
    if conversation.state.get("case_no"):
        case = Case.objects.filter(
            case_no=conversation.state["case_no"], consumer=conversation.consumer
        ).first()
        if case:
            drafts.append("您好，" + describe_case(case))
    if last is not None:
        for hit in knowledge_base().search(last.text, intent=conversation.last_intent, limit=2):
            if hit.score >= 0.85:
                drafts.append(f"您好，{hit.article.summary}（依据《{hit.article.title}》）")
    if conversation.handover_reason in ("angry", "complaint"):
        drafts.insert(
            0, "非常抱歉给您带来不好的体验，我是人工客服，已经看到您的问题，马上为您处理。"
        )
    drafts.append("您好，我是人工客服，已经看到您和智能助手的对话，请问还有什么需要补充的吗？")
    return list(dict.fromkeys(drafts))[:3]

"""Seed 001 template 2 (客户满意度调查表, simplified): the default survey.
Used by the data migration that ships it and by ``survey_default_ensure``."""

CODE = "default_satisfaction"
NAME_ZH, NAME_EN = "客户满意度调查表", "Customer satisfaction survey"
INTRO_ZH = "感谢您抽出时间填写本问卷(约需 5 分钟)。您的反馈将帮助我们改进产品与服务。"
INTRO_EN = "Thank you for taking the time to answer (about 5 minutes). Your feedback helps us improve."

QUESTIONS = [
    # kind, dimension, zh, en, help_zh, help_en, required
    ("rating", "quality", "产品/服务质量", "Product/service quality",
     "1=非常不满意,10=非常满意", "1 = very dissatisfied, 10 = very satisfied", True),
    ("rating", "speed", "响应速度", "Response speed",
     "1=非常不满意,10=非常满意", "1 = very dissatisfied, 10 = very satisfied", True),
    ("rating", "resolution", "问题解决效果", "Problem resolution",
     "1=非常不满意,10=非常满意", "1 = very dissatisfied, 10 = very satisfied", True),
    ("rating", "care", "客户关怀体验", "Customer care experience",
     "1=非常不满意,10=非常满意", "1 = very dissatisfied, 10 = very satisfied", True),
    ("rating", "overall", "整体满意度", "Overall satisfaction",
     "1=非常不满意,10=非常满意", "1 = very dissatisfied, 10 = very satisfied", True),
    ("nps", "", "您有多大可能将我们的产品/服务推荐给朋友或同事?",
     "How likely are you to recommend our product/service to a friend or colleague?",
     "0=完全不可能,10=极大可能", "0 = not at all likely, 10 = extremely likely", True),
    ("text", "reason", "推荐原因(若≥7分)/不推荐原因(若≤6分)",
     "Why would you (7 or more) or would you not (6 or less) recommend us?", "", "", False),
    ("text", "suggestions", "改进建议:您希望我们在哪些方面进行优化?",
     "Suggestions: what should we improve?", "", "", False),
    ("contact", "", "联系方式(选填):若需进一步沟通,请留下您的联系方式",
     "Contact (optional): leave your phone or e-mail if you would like us to get back to you", "", "", False),
]


"""Policy vocabulary: words jieba must keep whole, and how owners say what the texts say.

Two kinds of general domain knowledge, neither taken from any question set:

- `DOMAIN_WORDS`: terms of Chinese S&T, tax and SME policy that jieba would otherwise
  split (研究开发费用 → 研究/开发/费用 loses the phrase a clause is found by).
- `EXPANSIONS`: what an owner types → the words the legal text uses. Abbreviations
  (高企 → 高新技术企业, 小微 → 小型微利企业), colloquial phrasings (多扣 → 加计扣除,
  能管几年 → 有效期) and a few English policy terms, for questions written in English
  about Chinese documents. A question gets the formal words added to what it is
  searched by; its own words stay.
"""

from __future__ import annotations

DOMAIN_WORDS: tuple[str, ...] = (
    # programme and S&T administration
    "科技特派员", "特派员", "科技型中小企业", "高新技术企业", "中小微企业", "揭榜挂帅", "卡脖子",
    "中试基地", "技术攻关", "新型研发机构", "科研院所", "高等院校", "高等学校", "科研机构",
    "功能区", "区县", "入库", "征集选聘", "建档立册", "摸底调查", "专精特新", "瞪羚企业",
    "独角兽企业", "科技领军企业", "孵化器", "众创空间", "重点实验室", "技术创新中心",
    # technology transfer and contracts
    "成果转化", "科技成果", "科技成果转化", "职务科技成果", "技术合同", "技术转让", "技术许可",
    "技术开发", "技术咨询", "技术服务", "技术秘密", "技术入股", "技术转移", "技术市场",
    "知识产权", "专利权", "专利申请权", "实施许可", "净收入", "作价投资",
    # tax
    "企业所得税", "应纳税所得额", "加计扣除", "研究开发费用", "研发费用", "税收优惠", "税额抵免",
    "加速折旧", "折旧年限", "小型微利企业", "非居民企业", "居民企业", "减按", "免征", "减征",
    # finance and SMEs
    "融资担保", "政府性融资担保", "再担保", "担保费率", "风险分担", "贷款贴息", "质押融资",
    "知识产权质押", "商标质押", "应收账款", "区域性股权市场", "创业投资", "天使投资",
    "中小企业", "小微企业", "个体工商户",
    # administration, talent, business environment
    "营商环境", "技术改造", "核准", "备案", "免申即享", "一网通办", "行政许可", "行政处罚",
    "高层次人才", "急需紧缺人才", "职称评审", "离岗创业", "兼职", "人才工程",
)

# (what people write, formal words the documents use). Matching is by substring of the
# question, lower-cased; longer triggers are tried first so 高新区 does not read as 高新.
EXPANSIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # abbreviations
    ("高企", ("高新技术企业",)),
    ("高新企业", ("高新技术企业",)),
    ("国高", ("高新技术企业",)),
    ("高新认定", ("高新技术企业", "认定")),
    ("报高新", ("高新技术企业", "认定")),
    ("申请高新", ("高新技术企业", "认定")),
    ("评高新", ("高新技术企业", "认定")),
    ("高新资格", ("高新技术企业", "资格")),
    ("小微", ("小型微利企业", "小微企业")),
    ("中小微", ("中小企业",)),
    ("科小", ("科技型中小企业",)),
    ("专精特新", ("专业化", "精细化", "特色化", "新颖化")),
    ("双创", ("创新创业",)),
    ("技改", ("技术改造",)),
    ("研发", ("研究开发",)),
    ("研发费", ("研究开发费用",)),
    ("知产", ("知识产权",)),
    ("产学研", ("产学研合作",)),
    ("税务局", ("税务机关",)),
    ("个税", ("个人所得税",)),
    ("所得税", ("企业所得税",)),
    ("惠企", ("涉企", "优惠政策")),
    ("免申", ("免申即享",)),
    ("不用申报", ("免申即享",)),
    ("无需申报", ("免申即享",)),
    ("不用申请", ("免申即享",)),
    ("无需申请", ("免申即享",)),
    ("直接享受", ("免申即享",)),
    ("自动享受", ("免申即享",)),
    # colloquial → formal
    ("多扣", ("加计扣除",)),
    ("多抵", ("加计扣除",)),
    ("加扣", ("加计扣除",)),
    ("抵税", ("抵免", "抵扣")),
    ("抵扣", ("抵免",)),
    ("少交税", ("减征", "税收优惠")),
    ("少缴税", ("减征", "税收优惠")),
    ("免税", ("免征",)),
    ("减税", ("减征", "税收优惠")),
    ("税收减免", ("减征", "免征")),
    ("交多少税", ("税率",)),
    ("缴多少税", ("税率",)),
    ("能管几年", ("有效期",)),
    ("管几年", ("有效期",)),
    ("管多久", ("有效期",)),
    ("管多长时间", ("有效期",)),
    ("有效多久", ("有效期",)),
    ("几年有效", ("有效期",)),
    ("多久有效", ("有效期",)),
    ("过期", ("有效期", "届满")),
    ("到期", ("有效期", "届满")),
    ("用多久", ("期限",)),
    ("用几年", ("期限",)),
    ("多长时间", ("期限",)),
    ("多久", ("期限", "日内")),
    ("几天", ("日内",)),
    ("几个工作日", ("工作日",)),
    ("拿掉", ("取消",)),
    ("被取消", ("取消",)),
    ("撤销", ("取消",)),
    ("吊销", ("取消", "撤销")),
    ("改名", ("更名",)),
    ("换名字", ("更名",)),
    ("搬家", ("迁移",)),
    ("搬到", ("迁移",)),
    ("搬走", ("迁移",)),
    ("迁到", ("迁移",)),
    ("挪到", ("迁移",)),
    ("分钱", ("奖励", "报酬")),
    ("分多少", ("奖励", "报酬", "比例")),
    ("拿多少", ("奖励", "报酬", "比例")),
    ("提成", ("奖励", "报酬", "比例")),
    ("奖金", ("奖励",)),
    ("补贴", ("补助", "资助", "奖补")),
    ("给钱", ("资金", "补助", "资助")),
    ("扶持资金", ("资金", "资助")),
    ("贴息", ("贷款贴息",)),
    ("借钱", ("贷款", "融资")),
    ("融资难", ("融资",)),
    ("担保费", ("担保费率",)),
    ("欠款", ("拖欠",)),
    ("欠钱", ("拖欠",)),
    ("拖欠", ("拖欠", "账款")),
    ("不给钱", ("拖欠",)),
    ("尾款", ("款项",)),
    ("工程款", ("工程", "款项")),
    ("打官司", ("人民法院", "纠纷", "诉讼")),
    ("法院", ("人民法院",)),
    ("入股", ("出资", "作价投资")),
    ("以技术入股", ("技术入股", "出资")),
    ("卖出去", ("转让",)),
    ("卖给", ("转让",)),
    ("卖成果", ("转让",)),
    ("授权别人用", ("许可",)),
    ("给别人用", ("许可",)),
    ("发明人", ("完成人", "科技人员")),
    ("研究员", ("科技人员", "科研人员")),
    ("大学", ("高等学校",)),
    ("高校", ("高等学校",)),
    ("研究所", ("科研机构", "研究开发机构")),
    ("研究院", ("科研机构", "研究开发机构")),
    ("老师", ("科研人员", "专业技术人员")),
    ("评职称", ("职称评审",)),
    ("职称", ("职称评审",)),
    ("买房", ("住房",)),
    ("租房", ("住房",)),
    ("房子", ("住房",)),
    ("孩子上学", ("子女", "入学")),
    ("落户", ("户籍",)),
    ("年报", ("年度发展情况报表", "年度报告")),
    ("报假", ("虚假", "弄虚作假")),
    ("假材料", ("虚假", "弄虚作假")),
    ("造假", ("虚假", "弄虚作假")),
    ("骗补", ("骗取", "弄虚作假")),
    ("投诉", ("投诉", "举报")),
    ("热线", ("12345", "投诉")),
    ("营收", ("销售收入", "收入")),
    ("销售额", ("销售收入",)),
    ("员工", ("职工",)),
    ("人数", ("职工",)),
    ("搞研发的", ("科技人员",)),
    ("研发人员", ("科技人员",)),
    ("注册", ("注册成立",)),
    ("门槛", ("条件",)),
    ("硬指标", ("条件",)),
    ("资格", ("资格", "条件")),
    ("怎么认定", ("认定", "条件")),
    ("设备", ("设备", "固定资产")),
    ("机器", ("设备", "固定资产")),
    ("旧了", ("折旧",)),
    ("股权交易中心", ("区域性股权市场",)),
    ("四板", ("区域性股权市场",)),
    ("新三板", ("全国中小企业股份转让系统",)),
    ("上市", ("上市", "资本市场")),
    ("招人", ("引进", "人才")),
    ("引进人才", ("人才引进",)),
    ("中介", ("中介服务机构", "服务机构")),
    ("定义", ("是指", "所称")),
    ("什么叫", ("是指", "所称")),
    ("什么算", ("是指", "所称", "包括")),
    ("算不算", ("是指", "包括")),
    ("归谁", ("归属", "权益", "享有")),
    ("属于谁", ("归属", "权益", "享有")),
    ("谁说了算", ("约定", "决定")),
    ("没约定", ("没有约定", "约定不明确")),
    ("没写", ("没有约定", "约定不明确")),
    ("没说清", ("没有约定", "约定不明确")),
    ("没写清楚", ("没有约定", "约定不明确")),
    ("合同里", ("合同", "约定")),
    ("办证", ("许可", "证书")),
    # owners' words for legal terms (general usage)
    ("捐款", ("捐赠", "公益性捐赠")),
    ("捐钱", ("捐赠", "公益性捐赠")),
    ("捐了", ("捐赠", "公益性捐赠")),
    ("民营企业", ("非公有制经济组织", "民营")),
    ("民企", ("非公有制经济组织", "民营")),
    ("私企", ("非公有制经济组织",)),
    ("规上", ("规模以上",)),
    ("亏损", ("弥补", "结转")),
    ("亏了", ("亏损", "弥补", "结转")),
    ("赔钱", ("亏损", "弥补")),
    ("撮合", ("促成", "中介服务")),
    ("牵线", ("促成", "中介服务")),
    ("泄密", ("技术秘密", "保密")),
    ("保密", ("技术秘密",)),
    ("跳槽", ("离职", "保守")),
    ("汇算", ("汇算清缴",)),
    ("年报", ("年度报告",)),
    ("罚款", ("行政处罚",)),
    ("罚多少", ("罚款", "处")),
    ("退伍", ("退役",)),
    ("转业", ("退役",)),
    ("折成股份", ("折算股份", "作价投资")),
    ("折股", ("折算股份", "作价投资")),
    ("卖断", ("转让",)),
    ("买断", ("转让",)),
    ("坏账", ("不良", "代偿")),
    ("解约", ("解除合同",)),
    ("毁约", ("违约",)),
    ("不算数", ("违约", "毁约")),
    ("不认账", ("违约", "毁约")),
    ("换了领导", ("换届", "相关责任人更替")),
    ("换领导", ("换届", "相关责任人更替")),
    ("新班子", ("换届",)),
    ("新官不理旧账", ("换届", "违约")),
    ("招商协议", ("合同", "政策承诺")),
    ("查封", ("行政强制",)),
    ("扣押", ("行政强制",)),
    ("占地", ("用地",)),
    ("工资额度", ("工资总额",)),
    ("建档", ("档案",)),
    # owners' words in tax deductions, patents, paying SMEs, administration and fair competition
    ("招待费", ("业务招待费",)),
    ("请客吃饭", ("业务招待费",)),
    ("应酬", ("业务招待费",)),
    ("广告费", ("广告费", "业务宣传费",)),
    ("福利费", ("职工福利费",)),
    ("税前扣", ("准予扣除", "税前扣除",)),
    ("列支", ("准予扣除",)),
    ("电脑", ("电子设备", "折旧",)),
    ("服务器", ("电子设备", "折旧",)),
    ("买软件", ("无形资产", "摊销",)),
    ("买地", ("土地使用权", "无形资产",)),
    ("补亏", ("弥补", "亏损",)),
    ("卖技术", ("技术转让", "技术转让所得",)),
    ("环保设备", ("环境保护专用设备", "税额抵免",)),
    ("节能设备", ("节能节水", "专用设备",)),
    ("费减", ("减缴", "费用",)),
    ("专利费", ("年费", "申请费", "减缴",)),
    ("专利减免", ("减缴",)),
    ("没交年费", ("年费", "终止", "滞纳金",)),
    ("漏缴年费", ("年费", "滞纳金", "恢复权利",)),
    ("专利失效", ("终止", "期限届满",)),
    ("恢复专利", ("恢复权利",)),
    ("专利保护期", ("专利权的期限",)),
    ("外观专利", ("外观设计",)),
    ("抄袭", ("侵权", "侵犯专利权",)),
    ("仿冒", ("假冒专利", "混淆",)),
    ("山寨", ("侵犯专利权", "混淆", "假冒专利",)),
    ("被仿", ("侵犯专利权", "侵权",)),
    ("赔多少", ("赔偿数额",)),
    ("专利无效", ("宣告无效", "无效宣告请求",)),
    ("无效掉", ("宣告无效", "无效宣告请求",)),
    ("被驳回", ("驳回", "复审",)),
    ("专利下证", ("授予专利权", "公告",)),
    ("职务专利", ("职务发明创造",)),
    ("员工发明", ("职务发明创造", "奖励", "报酬",)),
    ("专利奖金", ("奖金", "奖励", "报酬",)),
    ("卖专利", ("专利权转让", "转让",)),
    ("买专利", ("专利权转让", "受让人",)),
    ("许可费", ("许可使用费", "使用费",)),
    ("授权费", ("许可使用费", "使用费",)),
    ("独家授权", ("独占实施许可", "排他实施许可",)),
    ("专利贷", ("知识产权质押", "质押融资",)),
    ("知产贷", ("知识产权质押", "质押融资", "知识产权",)),
    ("专利质押", ("知识产权质押", "质押",)),
    ("共有专利", ("共有人",)),
    ("账期", ("付款期限",)),
    ("付款周期", ("付款期限",)),
    ("欠账", ("拖欠", "账款",)),
    ("赖账", ("拖欠", "违约",)),
    ("催款", ("付款请求", "拖欠",)),
    ("要账", ("付款请求", "拖欠",)),
    ("迟付", ("迟延支付", "逾期利息",)),
    ("拖款利息", ("逾期利息",)),
    ("商票", ("商业汇票", "非现金支付方式",)),
    ("债权凭证", ("应收账款电子凭证",)),
    ("背靠背", ("第三方付款",)),
    ("等审计", ("审计结果", "结算依据",)),
    ("审计完", ("审计结果", "结算依据",)),
    ("审计结算", ("审计结果", "结算依据",)),
    ("质保金", ("工程质量保证金", "保证金",)),
    ("押金", ("保证金",)),
    ("履约金", ("履约保证金",)),
    ("投标押金", ("投标保证金",)),
    ("不验收", ("拖延检验", "验收",)),
    ("先垫钱", ("垫资",)),
    ("国企欠", ("国有大型企业", "拖欠",)),
    ("简易注销", ("简易程序", "注销",)),
    ("跑多次", ("一次性告知", "一次办结",)),
    ("来回跑", ("一次性告知", "一次办结",)),
    ("补材料", ("补正", "一次性告知",)),
    ("材料不全", ("补正", "一次性告知",)),
    ("乱收费", ("涉企行政事业性收费", "变相收费",)),
    ("乱罚款", ("罚没收入", "行政处罚",)),
    ("来检查", ("行政检查", "检查",)),
    ("突击检查", ("行政检查", "双随机",)),
    ("多头检查", ("行政检查", "双随机",)),
    ("指定中介", ("中介服务机构", "变相指定",)),
    ("委托研发", ("委托开发", "研究开发",)),
    ("外包研发", ("委托开发", "研究开发",)),
    ("合作研发", ("合作完成", "共同开发", "研究开发",)),
    ("技术交易", ("技术市场", "技术交易",)),
    ("搭售", ("附带条件", "非法垄断技术",)),
    ("国外技术", ("技术进口",)),
    ("出口技术", ("技术出口",)),
    ("技术出海", ("技术出口",)),
    ("挖人", ("商业秘密", "引诱", "离职",)),
    ("竞业", ("保密义务", "商业秘密",)),
    ("个体户", ("个体工商户",)),
    ("商业机密", ("商业秘密",)),
    ("客户名单", ("商业秘密", "经营信息",)),
    ("客户资料", ("商业秘密", "经营信息",)),
    ("源代码", ("商业秘密", "技术信息",)),
    ("源码", ("商业秘密", "技术信息",)),
    ("偷技术", ("侵犯商业秘密", "不正当手段",)),
    ("带走客户", ("商业秘密", "经营信息",)),
    ("拷走", ("商业秘密", "披露",)),
    ("虚假宣传", ("引人误解", "商业宣传",)),
    ("夸大宣传", ("引人误解", "商业宣传",)),
    ("刷单", ("虚假交易",)),
    ("刷好评", ("虚假交易", "用户评价",)),
    ("诋毁", ("商业信誉", "商品声誉",)),
    ("抹黑", ("商业信誉", "商品声誉", "虚假信息",)),
    ("造谣", ("虚假信息", "商业信誉",)),
    ("进口技术", ("技术进口",)),
    ("境外技术", ("技术进口",)),
    # English policy terms (questions in English about Chinese documents)
    ("high-tech enterprise", ("高新技术企业",)),
    ("high tech enterprise", ("高新技术企业",)),
    ("hnte", ("高新技术企业",)),
    ("income tax", ("企业所得税",)),
    ("tax rate", ("税率",)),
    ("tax", ("税",)),
    ("r&d", ("研究开发", "研发费用")),
    ("research and development", ("研究开发",)),
    ("super deduction", ("加计扣除",)),
    ("additional deduction", ("加计扣除",)),
    ("depreciat", ("折旧",)),
    ("equipment", ("设备", "固定资产")),
    ("fixed asset", ("固定资产",)),
    ("small and medium", ("中小企业",)),
    ("sme", ("中小企业",)),
    ("small compan", ("中小企业", "小型微利企业")),
    ("small business", ("中小企业", "小型微利企业")),
    ("small and micro", ("小微企业",)),
    ("guarantee", ("担保",)),
    ("loan", ("贷款",)),
    ("patent", ("专利",)),
    ("trademark", ("商标",)),
    ("intellectual property", ("知识产权",)),
    ("technology contract", ("技术合同",)),
    ("technology transfer", ("技术转让", "成果转化")),
    ("commercializ", ("成果转化",)),
    ("commercialis", ("成果转化",)),
    ("subsid", ("补助", "资助")),
    ("reward", ("奖励",)),
    ("talent", ("人才",)),
    ("relocat", ("迁移",)),
    ("move", ("迁移",)),
    ("rename", ("更名",)),
    ("valid", ("有效期",)),
    ("expire", ("有效期",)),
    ("revoke", ("取消",)),
    ("qualification", ("资格",)),
    ("status", ("资格",)),
    ("province", ("省",)),
    ("commissioner", ("特派员",)),
    ("technical renovation", ("技术改造",)),
    ("technological transformation", ("技术改造",)),
    ("business environment", ("营商环境",)),
    ("court", ("人民法院",)),
)

_ORDERED = sorted(EXPANSIONS, key=lambda item: -len(item[0]))


def expansions(question: str) -> list[str]:
    """Formal words to search by in addition to the question's own, in a stable order."""
    text = question.lower()
    found: list[str] = []
    consumed: list[tuple[int, int]] = []
    for trigger, formal in _ORDERED:
        start = text.find(trigger)
        while start != -1:
            end = start + len(trigger)
            # A shorter trigger inside a longer one already matched adds nothing new.
            if not any(s <= start and end <= e for s, e in consumed):
                consumed.append((start, end))
                for word in formal:
                    if word not in found and word not in text:
                        found.append(word)
                break
            start = text.find(trigger, start + 1)
    return found


def expand(question: str) -> str:
    """The question with its formal words appended (what lexical and dense search see)."""
    extra = expansions(question)
    return f"{question} {' '.join(extra)}" if extra else question


def expansion_pairs(question: str) -> list[tuple[str, tuple[str, ...]]]:
    """(trigger found in the question, the formal words it stands for)."""
    text = question.lower()
    return [(trigger, formal) for trigger, formal in _ORDERED if trigger in text]


# How people ask, not what they ask about: left out when judging whether a clause
# covers a question (BM25 is unaffected; these words are rare in policy text anyway).
QUESTION_FILLER = frozenset(
    """要是 如果 假如 后果 会怎样 怎么办 怎么样 怎样 能不能 不能不 不能 不用 不会 自己 直接 一般 来着 到底 现在
    还是 或者 有没有 有无 用 来 去 钱 想 想要 打算 准备 知道 问 问问 咨询 一下子 那么 这么 这样 那样 情况 时候
    什么样 多大 多长 多少钱 多久 几年 几个 几天 最少 最多 至少 得 都 能 吗 呢 啊 吧 公司 我司 咱们 我们公司 单位
    企业 老板 本公司 规定 说法 政策 法律 怎么 时 报 叫 名字 什么 名称 都 哪家 哪个 有 没有 是 吗
    做 搞 弄 干 拿 拿到 拿来 给 跟 帮 找 走 打 写 说 算 算不算 交 弄完 办个 一直 还要 不要 要不要 不是 没 没人
    以后 之后 后来 出来 出去 当时 当初 刚 刚刚 已经 比如 比方 的话 这边 那边 这种 那种 哪种 这事 事 事儿 一家
    这笔 那笔 这块 那块 这项 一项 一个 一批 只有 专门 主要 清楚 真的 大概 一般来说 请教 麻烦 谢谢 您好 你好 去年 今年 前年 明年 意思 时要""".split()
)


# Where a rule applies, as people say it. A document's own jurisdiction is read from its
# issuer (济南市… → the city 济南, 山东省… → the province 山东, a central body → national);
# a question names it by the place (山东, 济南) or by the level (省里 in a question about a
# 山东省 regulation is what the regulation calls 本省).
JURISDICTION_WORDS: dict[str, frozenset[str]] = {
    "national": frozenset("国家 全国 国家级 国家层面 中央 全国性".split()),
    "province": frozenset("省里 省内 本省 全省 省级 我省 省上 省级层面 省政府".split()),
    "city": frozenset("市里 本市 全市 市级 我市 市政府 市级层面".split()),
}
# Other names of a place (a question may use either).
PLACE_ALIASES: dict[str, str] = {"泉城": "济南", "齐鲁": "山东"}

# Countries: a question names one as a party far more often than as the place whose rules it
# asks about (美国企业想买授权, 研发放在德国做) — and then asks about this country's law.
FOREIGN_COUNTRIES: frozenset[str] = frozenset("新加坡 美国 日本 韩国 德国 英国 法国 欧盟 俄罗斯 印度 澳大利亚 加拿大".split())
# Places outside the province (and abroad) a question may name. The library holds national,
# 山东省 and 济南市 rules; a question about what 深圳 or 新加坡 gives is not answered by them even
# where the words match (national rules apply there too, but the question asks for that place's
# own). Cities of 山东 are left out: the province's regulations apply to them.
OTHER_PLACES: frozenset[str] = frozenset(
    """北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 河南 湖北 湖南 广东 海南 四川 贵州
    云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门
    深圳 广州 杭州 南京 苏州 武汉 成都 西安 厦门 宁波 无锡 合肥 郑州 长沙 沈阳 大连 哈尔滨 长春 石家庄 太原
    福州 南昌 昆明 贵阳 南宁 兰州 西宁 银川 乌鲁木齐 拉萨 海口 呼和浩特 东莞 佛山 珠海 雄安 常州 温州""".split()
) | FOREIGN_COUNTRIES
# Words saying the question is about this country's own rules.
DOMESTIC_WORDS: frozenset[str] = frozenset("国内 我国 中国 境内 本国 咱们国家 国家规定 国家政策".split())
# The same places in English questions ("... in Singapore?", "the Hong Kong profits tax").
OTHER_PLACES_EN: frozenset[str] = frozenset(
    name.strip() for name in """hong kong|macau|macao|taiwan|singapore|japan|korea|germany|france|britain|
    england|uk|united kingdom|united states|usa|america|europe|eu|india|russia|australia|canada|
    shanghai|shenzhen|beijing|guangdong|guangzhou|jiangsu|zhejiang|hangzhou|tianjin|chongqing""".split("|")
)
HERE_PLACES_EN: frozenset[str] = frozenset("shandong jinan china chinese qingdao".split())

# The province's own cities: its regulations hold in each, but one city's rules (济南's
# 条例, its 12345 deadlines) do not hold in another.
PROVINCE_CITIES: frozenset[str] = frozenset(
    "济南 青岛 淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照 临沂 德州 聊城 滨州 菏泽".split()
)

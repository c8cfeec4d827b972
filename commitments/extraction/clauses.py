"""Rule-based extraction of quantified, forward-looking targets ("pledges").

Input: the plain text of a Chinese local-government document (a meeting
write-up, a work report, a newspaper page about either) and the year it was
written in.  Output: one ``Draft`` per target number, in document order.

How it works, in one pass over the text:

1. The text is cut into clauses at commas, colons, sentence ends and line
   breaks.  Inside a clause, items of a list separated by 、 are separate
   segments (以上 at the end of a list binds only to the item it follows).
2. Each clause updates a small "tense" state: PAST (去年, 目前, 截至, 近年来,
   同比, an earlier year ...), FORECAST (预计, 有望 ...) or FORWARD (将, 力争,
   今年, 全年 ...).  A clause without a marker inherits the state of the clause
   before it, so a run of statistics after 去年/目前 stays in the past until
   the paragraph ends or a forward word appears.  Numbers are only taken in
   the FORWARD or neutral state.
3. In each segment, every number followed by a unit (个, 家, %, 亿元 ...) is a
   candidate.  Rules drop labels, ordinals, size qualifiers (超亿元企业,
   5亿元以上项目), project specifications (总投资, 年产, 占地) and company
   statements.  What is left becomes a Draft with its comparator, kind,
   metric, deadline and owner.

Conventions chosen where the labelling guide leaves room:

* Values stay in the document's unit: 2.5万亿元 -> 2.5 万亿元, 600万美元 ->
  600 万美元.  A Chinese numeral carrying its own scale is split at its
  last 亿/万: 千亿 -> 1000 亿元, 万亿 -> 10000 亿元.
* 多/余 after a number (30余个) is read as ">=".
* 下降/减少 before a number gives kind "reduction" whatever the unit;
  提升/提高 N个百分点 gives "share"; any other percentage that is not a growth
  rate is a "share".
* No time word -> 31 December of the document's year (a work report or
  plenary write-up sets this year's targets unless it says otherwise).
* Owner of "XX区委书记 / XX市委书记" is the district or city itself (XX区).
"""

from __future__ import annotations

import bisect
import calendar
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from .layout import starts_list_item, valid_date


@dataclass(frozen=True)
class Draft:
    sentence: str  # exact substring of the input text: the shortest clause holding the target
    start: int  # offset of `sentence` in the text
    metric: str  # short Chinese name of what is measured
    comparator: str  # ">=", "<=", "=", "approx", "range"
    value: Decimal | None  # in the document's unit; for "range" equals low
    low: Decimal | None  # only for range
    high: Decimal | None
    unit: str  # e.g. %, 个, 家, 项, 名, 件, 亿元, 万美元, 个百分点
    kind: str  # "level", "growth", "share", "reduction"
    deadline: date | None
    owner: str | None


# --------------------------------------------------------------------------
# Chinese numerals
# --------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_numeral_to_int(numeral: str) -> int:
    """两 -> 2, 十五 -> 15, 五百 -> 500, 一千五百万 -> 15000000, 万亿 -> 10**12."""
    total = 0  # everything already multiplied by 亿
    section = 0  # the part below 亿
    number = 0  # the last digit seen
    for ch in numeral:
        if ch in _CN_DIGITS:
            number = _CN_DIGITS[ch]
        elif ch in _CN_SMALL_UNITS:
            section += (number or 1) * _CN_SMALL_UNITS[ch]
            number = 0
        elif ch == "万":
            section = ((section + number) or 1) * 10_000
            number = 0
        elif ch == "亿":
            total = ((total + section + number) or 1) * 100_000_000
            section = number = 0
    return total + section + number


def split_chinese_scale(numeral: str) -> tuple[int, str]:
    """Split a Chinese numeral at its last 亿/万 so the value stays in that unit.

    千亿 -> (1000, "亿"), 五百亿 -> (500, "亿"), 万亿 -> (10000, "亿"), 两 -> (2, "").
    """
    if len(numeral) > 1 and numeral[-1] in "亿万":
        return chinese_numeral_to_int(numeral[:-1]), numeral[-1]
    return chinese_numeral_to_int(numeral), ""


# The one table of scale words: how many of the base unit one unit of each is (3.2万亿元 = 32000亿元).
SCALE_MULTIPLIERS = {
    "万亿": Decimal(10) ** 12, "千亿": Decimal(10) ** 11, "百亿": Decimal(10) ** 10, "亿": Decimal(10) ** 8,
    "千万": Decimal(10) ** 7, "百万": Decimal(10) ** 6, "万": Decimal(10) ** 4, "千": Decimal(10) ** 3,
}


_SCALES_LONGEST_FIRST = sorted(SCALE_MULTIPLIERS, key=len, reverse=True)


def in_base_unit(value: Decimal, unit: str) -> tuple[Decimal, str]:
    """(32000000000000, "元") for (3.2, "万亿元"): the amount with the scale word taken out of its unit.

    Units that begin with a scale character but are units of their own (千米, 千克, 千瓦) are left alone.
    """
    for scale in _SCALES_LONGEST_FIRST:
        rest = unit[len(scale) :]
        if unit.startswith(scale) and rest and unit not in _MEASURE_WORDS:
            return (value * SCALE_MULTIPLIERS[scale]).normalize(), rest
    return value.normalize(), unit


def _is_real_chinese_number(numeral: str) -> bool:
    # A bare 万 or 亿 is a word (万人, 万事, 亿万), not a number; 万亿 alone is.
    return numeral == "万亿" or any(ch in _CN_DIGITS or ch in _CN_SMALL_UNITS for ch in numeral)


# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------

_SCALES = "万亿|千亿|百亿|亿|千万|百万|万|千"
_CURRENCIES = ["元人民币", "美元", "欧元", "元"]
_MEASURE_WORDS = [
    "微克/立方米", "微克", "平方公里", "平方米", "立方米", "公里", "千米", "公顷", "亩", "吨", "公斤", "千克", "斤", "千瓦时", "千瓦",
    "兆瓦", "标箱", "倍", "个工作日", "工作日", "小时", "天", "岁",
]
_COUNT_WORDS = [
    "人次", "家次", "户次", "场次", "批次", "架次", "起", "个", "家", "项", "名", "件", "人", "户", "所", "座", "条", "套", "台", "辆", "艘", "场", "批", "处", "篇", "张", "次", "轮",
    "部", "盏", "棵", "株", "头", "架", "册", "期", "份", "根",  # not 栋/幢: "附14幢1单元" is an address
]
COUNT_UNITS = frozenset(_COUNT_WORDS)
_ALL_UNITS = ["个百分点", "百分点"] + _CURRENCIES + _MEASURE_WORDS + _COUNT_WORDS
_UNIT_ALTERNATION = "|".join(sorted(_ALL_UNITS, key=len, reverse=True))

# The one table of comparator words, read in running text and in table cells alike: a word before the number
# (不少于10家, ≥10) or after it (10家以上).  (多/余 after a number, 30余个, are read with the number itself.)
COMPARATOR_WORDS_BEFORE = {
    ">=": ["不少于", "不低于", "至少", "超过", "突破", "逾", "高于", "多于", "大于", "超", "≥", ">=", "＞", ">"],
    "<=": ["不超过", "不高于", "不多于", "控制在", "低于", "少于", "≤", "<=", "＜", "<"],
    "approx": ["将近", "接近", "大约", "约为", "约", "近"],
    "=": ["达到", "达", "为"],
}
COMPARATOR_WORDS_AFTER = {">=": ["及以上", "以上"], "<=": ["以内", "以下", "之内"], "approx": ["左右", "上下"]}
COMPARATOR_OF_WORD = {
    word: comparator
    for table in (COMPARATOR_WORDS_BEFORE, COMPARATOR_WORDS_AFTER)
    for comparator, words in table.items()
    for word in words
}


def comparator_alternation(table: dict[str, list[str]]) -> str:
    """The words of one side of the table as a regular-expression alternation, longest first."""
    words = [word for words in table.values() for word in words]
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


# One number: Arabic (with its 多/余 and scale word) or a run of Chinese numeral characters.
_NUMBER = re.compile(
    r"(?P<ar>[0-9]+(?:\.[0-9]+)?)(?P<more>多|余)?(?P<scale>" + _SCALES + r")?"
    r"|(?P<cn>[〇零一二两三四五六七八九十百千万亿]+)"
)

# What may follow a number: a second number of a range, the unit, 级, a trailing comparator.
_TAIL = re.compile(
    r"(?P<pct>%|％)?"
    # "132万吨至135万吨": a range that writes the unit after both numbers (not "100个到2030年").
    r"(?:(?P<unit1>" + _UNIT_ALTERNATION + r")(?=\s*(?:至|到|-|—|–|~|～)\s*[0-9]+(?:\.[0-9]+)?(?![0-9.]|年)))?"
    r"(?:\s*(?P<dash>至|到|-|—|–|~|～)\s*(?P<n2>[0-9]+(?:\.[0-9]+)?)(?P<scale2>" + _SCALES + r")?)?"
    r"(?P<more>多|余)?"
    r"(?P<unit>%|％|" + _UNIT_ALTERNATION + r")?"
    # "1200万台（套）": a counter with the one it may also be counted in, kept as written.
    r"(?P<alternative>[（(](?:" + "|".join(_COUNT_WORDS) + r")[）)])?"
    r"(?P<level>级)?"
    r"(?P<after>" + comparator_alternation(COMPARATOR_WORDS_AFTER) + r"|大关)?"
)

_BEFORE_COMPARATOR = re.compile(r"(?P<word>" + comparator_alternation(COMPARATOR_WORDS_BEFORE) + r")$")

# "至少建成3个…": the comparator may stand before the verb rather than the number.
_REACHED_TO = re.compile(r"(?:扩大|提高|提升|增加|达)到$")
_AT_LEAST_BEFORE_VERB = re.compile(r"(?:至少|不少于|不低于)[\u4e00-\u9fff]{1,3}$")
# "不低于符合条件教师总数的18%": the bound stands before the base the share is taken of.
_BOUND_BEFORE_BASE = re.compile(r"(?P<word>不低于|不少于|不超过|不高于)[\u4e00-\u9fff]{2,16}?的$")
_GROWTH_VERB = re.compile(r"(?:年均|平均)?(?:增长|增加|提高|提升|上升|增速|增幅)$")
# The rise of a price or a rate is a growth figure however it is held ("居民消费价格涨幅控制在3%左右").
_GROWTH_NOUN = re.compile(r"(?:涨幅|增幅|增速|上涨|涨)$")
# "年均增长1500元", "每年增加2万人": an amount added every year is a growth target in that unit.
_YEARLY_INCREMENT = re.compile(r"(?:年均|每年|平均每年|年平均)(?:增长|增加|提高|提升)$")
# People reached by a project are an effect of it, not a target of their own ("惠及居民8000户").
_BENEFICIARIES = re.compile(r"(?:惠及|受益|覆盖人口)[\u4e00-\u9fff]{0,4}$")
# "从目前的380家增加到430家", "由2.9%提高到3.05%": the first number is where things stand now (the baseline).
_FROM_BASELINE = re.compile(
    r"[从由](?:目前|现在|现有|当前|上年|去年|(?:19|20)[0-9]{2}年(?:底|末)?)?的?\s*(?:约|近)?"
    r"[0-9]+(?:\.[0-9]+)?(?:多|余)?(?:万亿|千亿|百亿|亿|千万|百万|万|千)?(?:%|％|" + _UNIT_ALTERNATION + r")?(?:左右)?"
    r"(?=[\u4e00-\u9fff]{0,4}(?:到|至))"
)
_YEARLY = re.compile(r"年均|每年|年平均")
# "约18亿元" straight after the name: how much something came to, not how much it is to reach.
_ESTIMATE = re.compile(r"[\u4e00-\u9fff](?:约|大约|约为)$")
_TARGET_VERB_BEFORE = re.compile(
    r"(?:建成|新建|新增|培育|创建|打造|引进|招引|建设|实施|完成|形成|开工|举办|开展|组织|安排|改造|培训|服务|达到|达|实现"
    r"|增长|增加|提高|提升|下降|减少|降低)"
)
_REDUCTION_VERB = re.compile(r"(?:下降|减少|降低|压降|削减|压减|减排)$")
_REDUCTION_VERB_AHEAD = re.compile(r"下降|减少|降低|压降|削减|压减|减排")  # 减少燃煤消费20万吨
_BUILD_VERB = re.compile(
    r"(?:建成|新建|新增|培育|创建|打造|引进|招引|建设|认定|实施|完成|形成|落地|签约|开工|注册|引培|争创|创成|举办|"
    r"培强|壮大|发展|成为|迈入|跻身|突破)$"
)
# "百亿级企业5家": things of a stated scale, then how many of them.
_COUNT_FOLLOWS = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:多|余)?(?:" + "|".join(_COUNT_WORDS) + r")")
# "三个三百亿级产业基地": a count of things of a stated scale.
_SCALE_QUALIFIER_AHEAD = re.compile(r"[0-9.〇零一二两三四五六七八九十百千万亿]+级")
_HALF_OF = re.compile(r"(?:撑起|占据|扛起|贡献|占到|占)(?P<what>[^，,。；;]{0,20}?)半壁江山")
# "覆盖一半以上的设区市", "半数以上乡镇": a share of 50 %.
_HALF = re.compile(r"(?<![一二两三四五六七八九十])(?:一半|半数)(?P<after>以上)?")
_NUMBER_BEFORE_HALF = re.compile(r"[0-9]")  # "3年减少一半": a clause with other numbers is left to them
_DOUBLING = re.compile(r"(?P<verb>实现|力争|确保)?(?P<what>[^，,。；;]{0,12}?)翻(?P<times>一|两|二|三)?番")

# --- tense markers --------------------------------------------------------
# PAST markers are inherited by the following clauses of the paragraph.
_PAST = re.compile(
    r"(?<![比较同与])(?:去年|上年|前年)(?!同期|基础)|往年|近年|近[0-9一二两三四五六七八九十]+年|多年来|以来|连日来"
    r"|近日|(?<![0-9])日前|近期|此前|前不久|不久前|上周|上月|昨天|昨日|截至|截止|目前|现有(?=[\u4e00-\u9fff]{0,10}[0-9])|时下|眼下|现阶段|同比|环比"
    # "8个标段中仍有5个未开工": what is still undone is the state of things.
    r"|[仍尚还]有(?=[^，,。；;]{0,12}?未)"
    r"|过去(?:的)?[一二两三四五十0-9]*年|刚刚过去|刚过去"
    r"|(?<![0-9])[一二两三四五六七八九十]{1,2}年来"
    # "据统计局监测/统计/测算，…": a reported figure.
    r"|据[\u4e00-\u9fff]{0,10}?(?:统计|监测|测算|调查)"
    r"|[0-9一二三四五六七八九十]+\s*[—\-–~至]\s*[0-9一二三四五六七八九十]+月"
    r"|前[0-9一二三四五六七八九十]+个?月|前[二三2-3]季度"
)
# Reported statistics: a figure compared with the same period before is a result, never a target.
_STATISTICS = re.compile(r"同比|环比")
# Progress against the year's plan ("占年度计划的57.8%", "完成全年目标90亿元的54%"): the sentence reports results; a
# figure written inside the name of the plan restates the target itself.
_PROGRESS = re.compile(
    r"(?:占|完成|达到|达|为)(?:全年|年度|年初|今年)[\u4e00-\u9fff]{0,4}?(?:目标|计划|任务)(?P<target>[^，,。；;的]{0,12}?)"
    r"的[0-9]+(?:\.[0-9]+)?[%％]"
)
# The words of a progress report (通报): a completion rate, the pace against the calendar (not 累计完成, which plans use
# for targets over their period too).  A clause with one reports results, and so does the rest of its sentence, even
# in a task given to a unit.
_PROGRESS_WORD = re.compile(r"完成率|开工率|竣工率|投产率|到位率|(?:时序|序时)进度")
# "年度计划投资98亿元" in a sentence of results: the plan it restates is still the year's target.
# "年度计划投资0.8亿元，完成0.1亿元": the year's plan, then what is done of it (not "完成投资1000亿元以上", aimed at).
# The year's target named before its figure, as a lagging item restates it: 全年目标外贸进出口总额42亿美元,
# 年度筹集保障性租赁住房任务2600套, 今年培训目标3.2万人次 (not 完成年度目标任务的37.5%).
_YEAR_TARGET_NAME = r"(?<!完成)(?<!占)(?:年度|全年|本年|今年)[^\W\d的]{0,10}?(?:目标|任务)[^\W\d的]{0,10}"
_YEAR_PLAN_FIGURE = re.compile(r"(?:(?:年度|全年|本年)计划[\u4e00-\u9fff]{0,8}|" + _YEAR_TARGET_NAME + r")[0-9]")
# "年度计划投资0.8亿元，前三季度完成0.3亿元", "按序时应完成135公里" (not "年底前完成…", a requirement).
_DONE_AGAINST_PLAN = re.compile(r"\s*(?:[\u4e00-\u9fff]{0,6}(?<!前))?(?:已|累计|实际|仅|应)?完成(?:投资)?[0-9]")
_AIMED = re.compile(r"以上|不少于|不低于|力争|确保|争取|要")
_PLAN_FIGURE = re.compile(r"(?:(?:年度|全年|本年|今年)?计划[\u4e00-\u9fff]{0,8}|" + _YEAR_TARGET_NAME + r")$")
_COMPARED_WITH = re.compile(r"(?:比|较|于|超|出)$")
# "比上年计划低2个百分点", "低于时序进度2.7个百分点", "超年度目标10亿元": a difference from a plan, not a target.
# "高于全市确定的5.5%左右目标": another body's target, quoted to compare with.
_AGAINST_PLAN = re.compile(
    r"(?:(?<!占)比|较|高于|低于|超过|超出|快于|慢于|超)[\u4e00-\u9fff]{0,4}?(?:计划|目标|(?:时序|序时)进度)"
    r"(?:[高低多少快慢]|增加|减少|提高|降低)?$"
    r"|(?:高于|低于|快于|慢于|超过|对标|与|同|比|较)[\u4e00-\u9fff]{0,6}?(?:确定|提出|下达|设定)的$"
    r"|(?:计划|目标)相?比(?:[高低多少快慢]|增加|减少|提高|降低)$"  # "与…目标相比高0.5个百分点"
)
_SENTENCE_END = re.compile(r"[。；;！？!?\n]")
# Words that mark only their own clause as done (实现了…, 作了发言, 已有…): the perfective 了 after a verb, not 为了,
# 除了, 了解.
_DONE = re.compile(r"已|(?<=[\u4e00-\u9fff])(?<![为除罢不得])了(?![解结])")
_FORECAST = re.compile(r"预计|预测|预估|估计|有望")
# Only words that clearly look ahead: 目标/努力/未来 also occur in accounts of the past
# ("以…为目标", "培育未来产业"), and 超年度计划 reports a result.
# A requirement put on the reader (要在11月底前全部开工, 务必, 必须) looks ahead too.
_FORWARD = re.compile(
    r"将(?!军|近)|力争|确保|争取|(?<!度)(?<!超)计划|今年|全年|年内|明年|下一步|接下来|今后|锚定|瞄定|力求|预期"
    r"|(?<![主重需纪概摘提只])要在|务必|必须"
)
# A year ("2027年", not the 2023年 of 比2023年), with the month that may follow it ("2026年9月").
_YEAR = re.compile(r"(?<![比较与同0-9])((?:19|20)[0-9]{2})年(?:([0-9]{1,2})月)?")
_INTENT = re.compile(r"要|需|目标|任务|力争|确保|争取|计划|推动|新建|新增|实施|建设|完成|开工")
# A project's own characteristics, not a target of the government.
# "下降14%的约束性目标": the number is named as the target, not a size qualifier.
# "增长6.5%目标": also without 的.
_NAMED_AS_TARGET = re.compile(r"(?:的[\u4e00-\u9fff]{0,4})?(?:目标|任务)")
_QUOTED_NAME = re.compile(r"[“\"][^“”\"]{1,10}[”\"]")
# (占地区生产总值比重 is 占 + 地区生产总值, not 占地.)
# A list of major projects and its total investment (重大项目92个，总投资612亿元) is the list's size; a count of
# projects to start or sign (新开工项目40个) is a target.
_PROJECT_LIST = re.compile(r"^(?![^，,]*(?:开工|竣工|签约|引进|招引|落地|投产))[^，,]*(?:重大|重点)[^，,]*项目")
_TOTAL_INVESTMENT_NEXT = re.compile(r"[ \t\u3000]*(?:计划)?总投资")
_SPECIFICATION = re.compile(
    r"总投资|年产(?![值量])|产能|占地(?![区市县方])|建筑面积|用地面积|规划面积|建成后|投产后|达产后|该项目|亩产|亩均"
    r"|全长|全线长|线路长|(?<![增成])长约|宽约|(?<![提])高约|深约"
)
# Figures of how a notice runs its own business, not targets: how often it reports (本通报每半月编发1次), how many items
# a unit may put forward (每个单位报送事项不超过4项), how funds are paid out (按进度预拨65%), and how many of its own
# listed items are on course (15件民生实事中有13件可望年内完成).
_ROUTINE = re.compile(
    r"每半?(?:周|旬|月|季度?|半年)[\u4e00-\u9fff]{0,6}?(?:通报|编发|印发|报送|调度|会商|点评)[0-9一两二三四]+次"
    r"|每(?:个|家)(?:单位|部门)|(?:报送|申报|推荐|上报)[\u4e00-\u9fff]{0,6}?(?:不超过|不得超过|最多)"
    r"|预拨|预付|按(?:工程)?进度(?:拨付|支付)"
)
_OWN_ITEMS_ON_COURSE = re.compile(r"[0-9]+(?:件|项)[\u4e00-\u9fff]{2,10}中有?[0-9]+(?:件|项)")


def _is_routine(clause: str) -> bool:
    # (the cheap tests first: most clauses hold none of these characters)
    return (
        ("每" in clause or "报" in clause or "预" in clause or "进度" in clause) and bool(_ROUTINE.search(clause))
        or "中" in clause and bool(_OWN_ITEMS_ON_COURSE.search(clause))
    )


# "在完成2400个学位的基础上，再新增…": what is already done is the ground the target stands on.
_ON_THE_BASIS = re.compile(r"在[^，,。；;]{0,24}?的?基础上")

# --- deadlines ------------------------------------------------------------
# "9月底", "今年9月底", "明年6月底"; not the second month of "2026年9月底" nor of "3—9月底".
_DEADLINE_MONTH = re.compile(r"(?<![0-9—\-–~])(?<![0-9]年)(明年)?([0-9]{1,2})月(?:底|末)")
_DEADLINE_DAY = re.compile(r"(?<![0-9—\-–~])(?<![0-9]年)(明年)?([0-9]{1,2})月([0-9]{1,2})日之?前")  # "11月15日前"
_DEADLINE_QUARTER = re.compile(r"(上半年|下半年|[一二三四1-4]季度)")
# "三年建成…", "用5年时间…", "3年内…": a span of years only at the head of a clause or with 内/时间,
# so that 九年一贯制 or 两年一次 are not read as deadlines.
_DEADLINE_SPAN = re.compile(
    r"(?:(?:^|[“\"]|锚定|瞄定|瞄准|力争|争取|确保|计划|再|今后|未来)\s*(?:用|经过|通过)?|用|经过)"
    r"([0-9]{1,2}|[一二两三四五六七八九十]{1,2})年(?![级前来度代龄初])"
    r"|(?<![近前后每第这0-9一二两三四五六七八九十])([0-9]{1,2}|[一二两三四五六七八九十]{1,2})年(?:内|时间|左右)"
)
# 十四五 ends in 2025, 十五五 in 2030 (the N-th five-year plan ends in 2025 + 5 * (N - 14)).
_FIVE_YEAR_PLAN = re.compile(r"十([一二三四五六七八九])五")
_TIME_CHARACTER = re.compile(r"[年季月五]")
_THIS_YEAR = re.compile(r"今年|全年|年内|本年|当年|年底|年末")
_QUARTER_END = {"上半年": (6, 30), "下半年": (12, 31), "一季度": (3, 31), "1季度": (3, 31), "二季度": (6, 30),
                "2季度": (6, 30), "三季度": (9, 30), "3季度": (9, 30), "四季度": (12, 31), "4季度": (12, 31)}

# --- owners ---------------------------------------------------------------
_TITLES = (
    r"(?:党组|党委|党工委)?副?(?:书记|局长|主任|区长|市长|县长|镇长|主席|部长|厅长|处长|所长|院长|行长|负责人|"
    r"总经理|经理|董事长|创始人)"
    # Posts a press conference introduces its speakers by (市工信局党组成员、副局长…; 市统计局总统计师…).
    r"|(?:党组|党委)成员|(?:一级|二级)?(?:巡视员|调研员)|总(?:工程|经济|统计|规划)师|(?:新闻)?发言人"
)
_TITLE = re.compile(_TITLES)
_COMPANY_TITLE = re.compile(r"总经理|经理|董事长|创始人")
_SPEECH = re.compile(r"表示|介绍|说|指出|透露|坦言|强调|认为|回答")
# Another city setting its own target, named as such (邻市, 周边城市) or by a name that is not the document's city.
_OTHER_CITY = re.compile(
    r"(?P<neighbour>邻[市县]|周边(?:城市|县市)|兄弟(?:城市|县市))|(?P<city>[\u4e00-\u9fff]{2,3}市)(?:提出|计划|确定|明确)"
)
_STATISTICS_BODY = re.compile(r"统计局|调查队")
_CITY_NAME = re.compile(r"[\u4e00-\u9fff]{2,3}?市")
_NARRATION = re.compile(r"据(?:了解|悉|介绍)|另悉|记者了解到|此外|另据|会上还|发布会还")
_SPEECH_ADVERB = re.compile(r"(?:还|也|又|同时|进一步|最后|随后)$")
_SPEAKER_BLOCK_STOP = set("，,。；;！？!?“”\"：:《》\n")
_ORG_SUFFIX = re.compile(
    r"(?:开发区|示范区|高新区|新区|园区|产业园|区|市|县|镇|乡|街道|局|委员会|常委会|委|办公室|办|厅|中心|院|所|部|会)$"
)
_ORG_SUBJECT = re.compile(
    r"(?:^|(?<=[，,。；;：:\s”）).．]))([\u4e00-\u9fff]{2,15}?(?:开发区|示范区|高新区|新区|园区|区|市|县|镇|街道|局|委员会|委|办公室|办))"
    r"(?:将(?!军|近)|要(?![求素闻点]))"
)
# "东沅区今年将新招引…", "柘林县全年规上工业产值力争突破…": in minutes of a meeting, a place that speaks of its year
# owns its own figures; so does a bureau given a task for the year (区人社局年内再新增…).
_YEAR_AFTER_PLACE = re.compile(r"(?:今年|全年|年内)(?:将|要|再|力争|确保|计划|[\u4e00-\u9fff]{2,12}?(?:力争|确保))")
_PLACE_BEFORE_YEAR = re.compile(
    r"(?:^|[，,。；;：:\s”）).．])([\u4e00-\u9fff]{2,6}?(?:开发区|高新区|新区|区|县|市|镇)|[省市县区][\u4e00-\u9fff]{1,8}?局)$"
)
_TIME_ACTOR = re.compile(
    r"(?:(?:19|20)[0-9]{2}年|今年|明年|下一步|接下来|新的一年)[，,]\s*([\u4e00-\u9fff]{2,8}?)"
    r"(?:将|要|坚持|突出|聚焦|着力|围绕|力争|全力|继续)"
)
_LEADING_TIME = re.compile(
    r"^(?:今年|全年|明年|年内|[上下]半年|[一二三四]季度|同时|下一步|接下来|(?:19|20)[0-9]{2}年)+"
)
_GENERIC_ACTOR_START = tuple("全我各本该这在从以要对把将")
# Common nouns that are the subject of "…将" but name no particular body.
_GENERIC_ACTORS = frozenset(["园区", "企业", "我们", "部门", "政府", "公司", "项目", "大家", "全市", "全区", "全县"])
_HEADING = re.compile(r"^[ \t]*#+[ \t]*(.*)$", re.M)
_HEADING_ACTOR = re.compile(r"^([\u4e00-\u9fff]{2,8})[:：]")
# A company speaking or described ("公司将…", "某某有限公司…"); 上市公司/国有公司 are things counted by targets.
_COMPANY_MENTION = re.compile(r"(?<!上市)(?<!国有)(?<!平台)(?<!挂牌)公司")
_COMPANY_ALIAS = re.compile(r"以下简称[“\"']([^”\"']{2,12})[”\"']")

# --- metric cleaning ------------------------------------------------------
_LEADING_NOISE = re.compile(
    r"^(?:今年|全年|年内|明年|上半年|下半年|到|至|在|[0-9]{1,2}月(?:底|末|[0-9]{1,2}日)?之?前?|(?:19|20)[0-9]{2}年(?:底|末)?|[0-9一二两三四五六七八九十]{1,2}年内?"
    r"|建议|力争|确保|争取|计划|努力|全力|力求|预期|目标|实现|完成|推动|锚定|瞄定|其中|同时|并|将|要|共|累计|届时"
    r"|全市|全区|全县|全省|我市|我区|我县"
    # "紧盯年初确定的地区生产总值增长6.5%目标": the verb and the clause naming who set the target are not the metric.
    r"|紧盯|盯住|围绕|对照|[\u4e00-\u9fff]{0,6}?(?:确定|提出|下达|明确)的"
    # "市商务局要确保…": the body a requirement is addressed to.
    r"|[\u4e00-\u9fff]{1,15}?(?:局|委|办|中心|政府)(?:要|将)|(?:各[\u4e00-\u9fff]{1,4}?[、，]?)+要)"
)
_TRAILING_NOISE = re.compile(
    r"(?:(?:比|较)(?:上年|去年|(?:19|20)[0-9]{2}年)|(?:提高|提升|增长|增加|上升|下降|降低|减少|降|压缩|缩短|缩减)(?:到|至)"
    r"|(?:稳定|保持|维持)在|达到|达|为|实现|完成|总计|共计|合计|分别|的"
    # "帮扶就业率要保持在…", "实际使用外资力争达到…", "研发投入强度今年提高到…": a forward word after the name.
    r"|将|要|力争|确保|争取|今年|全年)$"
)

_TRAILING_NOISE_MAX = 8  # characters: longer than its longest word (比2024年)

# A list item that is only a quantity ("7%", "40家以上"), as after 分别.
_BARE_QUANTITY = re.compile(
    r"\s*[0-9]+(?:\.[0-9]+)?(?:多|余)?(?:" + _SCALES + r")?(?:%|％|" + _UNIT_ALTERNATION + r")(?:以上|以内|左右)?\s*"
)
# A table cell ("|", tab) is a clause of its own.
_DELIMITER = re.compile(r"(?P<sent>[。；;！？!?…]+)|(?P<nl>\n)|(?P<clause>[，：:|\t]|,(?![0-9]{3}(?![0-9])))")
_TERMINAL = set("。！？!?”」…；;")
# A bullet, or a task number ("3．", "12.") that is not the start of a decimal.
_LIST_MARK = re.compile(
    r"^(?:[•·●▪◆■][ \t\u3000]*|——|[-*][ \t\u3000]+|[0-9]{1,2}[．.、](?![0-9])[ \t\u3000]*|[（(][0-9一二三四五六七八九十]{1,3}[）)][ \t\u3000]*|[①-⑳])"
)
_NEXT_TEXT = re.compile(r"[^\s\u3000]")
_CJK = re.compile(r"[\u4e00-\u9fff]")

# A line that opens a section ("【交通】", "二、", "（三）"): no speaker's words run on past it.
_SECTION_START = re.compile(r"【|[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)]")
_SECTION_LINE = re.compile(r"\n[ \t\u3000]*(?:" + _SECTION_START.pattern + ")")
NEUTRAL, FORWARD, PAST, FORECAST = "neutral", "forward", "past", "forecast"
# Longer stretches without a comma or full stop are not read for targets (a list of numbers, a broken file): the
# rules look back over the clause for each number, so one giant clause would cost time quadratic in its length.
MAX_CLAUSE_CHARS = 2000


# --------------------------------------------------------------------------
# Owners
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _OwnerMark:
    position: int
    owner: str | None  # None: a heading that ends the previous passage
    is_company: bool = False
    # A speaker (or "XX将") speaks for the paragraph; the actor of a district report
    # ("2024年,湖东将…", a "湖东:…" headline) for everything up to the next heading.
    paragraph_only: bool = False
    # A named official goes on speaking for the lines under the paragraph where he is introduced, up to a blank
    # line, a heading or the next speaker (a press write-up puts each of his sentences on a line of its own).
    speaker: bool = False
    # A speaker whose own paragraph states no figure ("市发展改革委主任周某介绍了今年的主要目标。") introduces the
    # paragraphs under it, over blank lines, up to the next speaker or heading.
    introduces: bool = False


def _normalise_org(org: str) -> str:
    org = re.sub(r"相关$", "", org)
    org = re.sub(r"^(?:另据|又据|据|经)", "", org)  # "据市文旅局局长…介绍"
    # 清河区委 / 江北市委: the party committee of a place speaks for the place itself.
    if len(org) >= 3 and org[-1] == "委" and org[-2] in "区市县镇":
        org = org[:-1]
    return org


_BODY_NAME = re.compile(r"[省市县区镇][\u4e00-\u9fff]{1,10}?(?:局|委员会|委|办公室|办|中心)")


# The head of the government (县长), or the party committee (县委书记), with no place named: the document's own place.
THIS_PLACE = "〈本地〉"
_UNNAMED_PLACE_BODY = re.compile(r"[省市县区镇](?:委|政府|人民政府)?")
_HEAD_OF_PLACE = re.compile(r"副?[省市县区镇]长")


def _speaker_org(block: str) -> tuple[str, bool] | None:
    """From '市财政局党组书记、局长王某' return ('市财政局', False); companies flagged True."""
    found = None
    for part in block.split("、"):
        title = _TITLE.search(part)
        if not title:
            continue
        org = part[: title.start()].strip()
        if (not org and _HEAD_OF_PLACE.match(part, title.start())) or _UNNAMED_PLACE_BODY.fullmatch(org):
            found = (THIS_PLACE, False)  # "县委副书记、县长韩立新": the last post named, the county's head
            continue
        is_company = bool(_COMPANY_TITLE.fullmatch(title.group().lstrip("副"))) or "公司" in org or "集团" in org
        if not org:
            continue
        if is_company or _ORG_SUFFIX.search(org):
            found = (_normalise_org(org), is_company)
    return found


_INTRODUCED_OFFICIAL = re.compile(
    r"(?P<org>[省市县区][\u4e00-\u9fff]{1,12}?(?:局|委员会|委|办公室|办|中心|厅))"
    r"(?:" + _TITLES + r")(?:、(?:" + _TITLES + r"))?(?P<name>[\u4e00-\u9fff]{2,3})(?=[、，,。；;：:（(\s])"
)
_BRACKETED_BODY_LINE = re.compile(r"^[ \t\u3000]*【(" + _BODY_NAME.pattern + r")】[ \t\u3000]*$", re.M)
_NAME_THEN_COLON = re.compile(r"^[ \t\u3000]*(?P<name>[\u4e00-\u9fff]{2,3})[：:]", re.M)


def _speaker_marks(text: str) -> list[_OwnerMark]:
    marks = []
    # "市交通运输局局长陈立新介绍…" then "…”陈立新说": a speaker named again by name alone keeps the same unit.
    units_of_names: dict[str, tuple[str, bool]] = {}
    # A transcript: the officials are introduced once (出席发布会的有市发展改革委主任王海、市教育局局长陈静), then
    # each answer opens with the name alone ("王海：今年全市将…").
    for official in _INTRODUCED_OFFICIAL.finditer(text):
        units_of_names.setdefault(official.group("name"), (_normalise_org(official.group("org")), False))
    for answer in _NAME_THEN_COLON.finditer(text):
        unit = units_of_names.get(answer.group("name"))
        if unit:
            marks.append(_OwnerMark(answer.start("name"), unit[0], unit[1], paragraph_only=True, speaker=True))
    for speech in _SPEECH.finditer(text):
        begin = speech.start()
        while begin > 0 and speech.start() - begin < 60 and text[begin - 1] not in _SPEAKER_BLOCK_STOP:
            begin -= 1
        block = re.sub(r"\s+", "", text[begin : speech.start()])
        block = re.sub(r"[\u4e00-\u9fff]{1,3}地$", "", block)  # 高兴地介绍
        block = _SPEECH_ADVERB.sub("", block)  # "周建国还表示": the speaker named again
        if not block:
            continue
        org = _speaker_org(block)
        if not org and units_of_names.get(block) is None and len(block) <= 16 and _BODY_NAME.fullmatch(block):
            org = (block, False)  # "县文旅局表示，…": the body itself speaks
        elif org:
            title = list(_TITLE.finditer(block))[-1]
            name = block[title.end() :]
            if 2 <= len(name) <= 4:
                units_of_names[name] = org
        else:
            org = units_of_names.get(block)
        if org:
            line_start = text.rfind("\n", 0, begin) + 1
            line_end = text.find("\n", speech.end())
            introduces = not org[1] and not re.search(r"[0-9]", text[line_start : line_end if line_end >= 0 else len(text)])
            marks.append(_OwnerMark(_quote_start(text, begin), org[0], org[1], paragraph_only=True, speaker=True,
                                    introduces=introduces))
    return marks


# "有记者问：今年…目标定在6%左右？" then "王立群回答…": a target restated in a question is the answerer's.
_QUESTION = re.compile(r"记者提?问[:：]|(?:^|\n)问[:：]")
_QUESTION_REACH = 300  # characters within which the answer begins


def _question_marks(text: str, speakers: list[_OwnerMark]) -> list[_OwnerMark]:
    positions = [mark.position for mark in speakers]
    marks = []
    for question in _QUESTION.finditer(text):
        i = bisect.bisect_right(positions, question.end())
        if i < len(speakers) and speakers[i].position - question.end() <= _QUESTION_REACH:
            answer = speakers[i]
            marks.append(_OwnerMark(question.start(), answer.owner, answer.is_company, paragraph_only=True))
    return marks


def _quote_start(text: str, speaker_at: int) -> int:
    """Where the speaker's words begin: at the opening quote when the quote comes first
    ("“…全年新增企业40家。”市科技局局长王强说"), else at the speaker."""
    before = speaker_at - 1
    while before >= 0 and text[before] in " \t\u3000，,":
        before -= 1
    if before < 0 or text[before] != "”":
        return speaker_at
    opening = text.rfind("“", 0, before)
    if opening < 0 or "\n" in text[opening:before] or "”" in text[opening:before]:
        return speaker_at
    return opening


_SHORT_GOVERNMENT = re.compile(r"([省市县区])(?:人民)?政府")


def _full_government_name(owner: str | None, issuer: str | None) -> str | None:
    """"市政府" in a document the 岚州市人民政府 issues is that government, and "市农业农村局" in one the 霁州市农业农村局
    issues is that bureau: use the name the document gives itself."""
    if owner and issuer:
        m = _SHORT_GOVERNMENT.fullmatch(owner)
        if m and re.fullmatch(r"[\u4e00-\u9fff]+" + m.group(1) + r"(?:人民)?政府", issuer):
            return issuer
        if owner[0] in "省市县区" and len(issuer) > len(owner) and issuer.endswith(owner):
            return issuer
    return owner


_WHOLE_PLACE = frozenset(["全县", "全市", "全区", "全省"])


def _none_between(positions: list[int], after: int, before: int) -> bool:
    i = bisect.bisect_right(positions, after)
    return i == len(positions) or positions[i] >= before


def _is_generic_actor(name: str) -> bool:
    return name.startswith(_GENERIC_ACTOR_START) or name in _GENERIC_ACTORS


def _owner_marks(text: str) -> tuple[list[_OwnerMark], str | None]:
    """All places where the responsible body is named, and the document's main actor."""
    marks = _speaker_marks(text)
    marks += _question_marks(text, sorted(marks, key=lambda mark: mark.position))
    speakers = sorted(mark.position for mark in marks if mark.speaker)
    actors: Counter[str] = Counter()
    for m in _ORG_SUBJECT.finditer(text):
        org = _LEADING_TIME.sub("", m.group(1))  # "今年全市将": the time word is not part of the name
        if len(org) >= 3 and not _is_generic_actor(org):
            marks.append(_OwnerMark(m.start(1), org, paragraph_only=True))
        elif org in _WHOLE_PLACE and _none_between(speakers, text.rfind("\n", 0, m.start(1)), m.start(1)):
            # "在教育方面，今年全县将…" on a line of its own is the narrator's account of the place, not the words of
            # the official quoted on the line before.
            marks.append(_OwnerMark(m.start(1), THIS_PLACE, paragraph_only=True))
    for m in _YEAR_AFTER_PLACE.finditer(text):
        # (found from the year word back: 今年 is rarer than the places where a name could start)
        place = _PLACE_BEFORE_YEAR.search(text, max(0, m.start() - 11), m.start())
        if place and not _is_generic_actor(place.group(1)):
            marks.append(_OwnerMark(place.start(1), place.group(1), paragraph_only=True))
    # In a write-up where officials speak, "下一步,某县将…" belongs to that official's
    # paragraph; only in a report without speakers does the actor own the whole section.
    has_speakers = any(mark.owner and not mark.is_company for mark in marks)
    for m in _TIME_ACTOR.finditer(text):
        if not _is_generic_actor(m.group(1)):
            marks.append(_OwnerMark(m.start(1), m.group(1), paragraph_only=has_speakers))
            if not has_speakers:
                actors[m.group(1)] += 1
    for m in _HEADING.finditer(text):
        actor = _HEADING_ACTOR.match(m.group(1))
        if actor and not _is_generic_actor(actor.group(1)):
            is_company = "公司" in actor.group(1)
            marks.append(_OwnerMark(m.start(), actor.group(1), is_company))
            if not is_company:
                actors[actor.group(1)] += 2  # a "湖东:…" headline names the report's subject
        else:
            marks.append(_OwnerMark(m.start(), None))
    for m in _BRACKETED_BODY_LINE.finditer(text):
        # "【市发展改革委】" on a line of its own: the body speaks for the lines under it, up to the next such line.
        marks.append(_OwnerMark(m.start(1), _normalise_org(m.group(1))))
    marks.sort(key=lambda mark: mark.position)
    main_actor = actors.most_common(1)[0][0] if actors else None
    return marks, main_actor


# --------------------------------------------------------------------------
# Deadlines and tense
# --------------------------------------------------------------------------


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def find_deadline(
    clause: str, year: int, this_year_is_past: bool = False, plan: tuple[int, int] | None = None
) -> date | None:
    """The end of the period a clause names, resolved against the document's year.

    `plan`: the first and last years of the plan the document is (its title's 2026—2028).  "三年…" in a plan whose
    title spans three years means the plan's years, not three years from the document's year."""
    if not _TIME_CHARACTER.search(clause):
        return None  # every period below names a year, a quarter, a month or a five-year plan
    m = _YEAR.search(clause)
    if m and int(m.group(1)) >= year:
        month = int(m.group(2)) if m.group(2) and 1 <= int(m.group(2)) <= 12 else 12
        return _month_end(int(m.group(1)), month)
    m = _DEADLINE_QUARTER.search(clause)
    if m:
        month, day = _QUARTER_END[m.group(1)]
        return date(year, month, day)
    m = _DEADLINE_DAY.search(clause)
    if m:
        day = valid_date(year + 1 if m.group(1) else year, int(m.group(2)), int(m.group(3)))
        if day:
            return day
    m = _DEADLINE_MONTH.search(clause)
    if m and 1 <= int(m.group(2)) <= 12:
        return _month_end(year + 1 if m.group(1) else year, int(m.group(2)))
    m = _FIVE_YEAR_PLAN.search(clause)
    if m:
        return date(2025 + 5 * (chinese_numeral_to_int("十" + m.group(1)) - 14), 12, 31)
    m = _DEADLINE_SPAN.search(clause)
    if m:
        span = m.group(1) or m.group(2)
        years = int(span) if span.isdigit() else chinese_numeral_to_int(span)
        if plan and years == plan[1] - plan[0] + 1 and plan[0] <= year <= plan[1]:
            return date(plan[1], 12, 31)
        if 0 < years <= 30:
            return date(year + years, 12, 31)
    if "明年" in clause:
        return date(year + 1, 12, 31)
    this_year = _THIS_YEAR.search(clause)
    if this_year:
        # In a year-end review that plans for 明年, 全年/年内 speak of the year being planned.
        planned = this_year_is_past and this_year.group() != "今年"
        return date(year + 1 if planned else year, 12, 31)
    return None


# Parts of the year that may already be over when the document is written: "上半年全县新增就业4200人" in a July
# write-up reports a result, in a January work report it sets a target.
_PART_OF_YEAR = re.compile(
    r"(上半年|[一二1-2]季度)|(?<![上下前后每])半年(?![内度时以左])"
    r"|(?<![0-9每个明])(?:((?:19|20)[0-9]{2})年)?([0-9]{1,2})月(?:份)?(?:([0-9]{1,2})日)?"
)


def names_elapsed_period(clause: str, written: date) -> bool:
    """Does the clause name a part of the document's year that ended before the document was written?"""
    if not _TIME_CHARACTER.search(clause):
        return False
    for m in _PART_OF_YEAR.finditer(clause):
        if m.group(3):
            if m.group(2) and int(m.group(2)) != written.year:
                continue
            month = int(m.group(3))
            if not 1 <= month <= 12:
                continue
            if month < written.month or (month == written.month and m.group(4) and int(m.group(4)) < written.day):
                return True
            continue
        name = m.group(1) or "上半年"
        month, day = _QUARTER_END[name]
        if date(written.year, month, day) < written:
            return True
    return False


def names_period_ahead(clause: str, written: date) -> bool:
    """Does the clause name a quarter, a half or a month-end of the document's year that has not ended when it was
    written (四季度, 下半年, 11月底 in a bulletin of October)?"""
    if not _TIME_CHARACTER.search(clause):
        return False
    m = _DEADLINE_QUARTER.search(clause)
    if m:
        month, day = _QUARTER_END[m.group(1)]
        return date(written.year, month, day) > written
    m = _DEADLINE_MONTH.search(clause)
    return bool(m) and not m.group(1) and 1 <= int(m.group(2)) <= 12 and _month_end(written.year, int(m.group(2))) > written


def clause_tense(clause: str, year: int, this_year_is_past: bool = False) -> str | None:
    """PAST, FORECAST or FORWARD if the clause says so, None if it has no marker.

    `this_year_is_past` is set for a year-end review that plans for 明年: there
    今年 introduces results, not targets.
    """
    if _PAST.search(clause):
        return PAST
    if this_year_is_past and "今年" in clause and not _FORWARD.search(clause.replace("今年", "")):
        return PAST
    years = [int(m.group(1)) for m in _YEAR.finditer(clause)]
    if any(y < year for y in years):
        return PAST
    if _FORECAST.search(clause):
        return FORECAST
    if years or _FORWARD.search(clause):
        return FORWARD
    return None


# --------------------------------------------------------------------------
# Numbers in one segment
# --------------------------------------------------------------------------


def _to_decimal(digits: str) -> Decimal:
    return Decimal(digits)


def _inside_short_quote(segment: str, position: int) -> bool:
    """True for a number inside a short quoted label such as “两个维护” or “一网通办”."""
    opening = segment.rfind("“", 0, position)
    if opening < 0 or segment.rfind("”", 0, position) > opening:
        return False
    closing = segment.find("”", position)
    return closing >= 0 and closing - opening - 1 <= 8


def _strip_trailing_noise(metric: str) -> str:
    # Only the last characters are searched: a pattern anchored at the end is otherwise tried at every position.
    cut = max(0, len(metric) - _TRAILING_NOISE_MAX)
    return metric[:cut] + _TRAILING_NOISE.sub("", metric[cut:])


def _clean_metric(before: str) -> str:
    metric = _LIST_MARK.sub("", before.strip(" \t“”\"'‘’").lstrip("-•·*●▪◆■ "), count=1)
    while True:
        shorter = _LEADING_NOISE.sub("", metric, count=1).lstrip(" ，,")
        if shorter == metric:
            break
        metric = shorter
    metric = _strip_trailing_noise(_strip_trailing_noise(metric))
    if metric.endswith("等"):  # "甲、乙等20个项目": the names are examples, not the metric
        metric = ""
    return metric.strip()


def _noun_after(segment: str, position: int) -> str:
    rest = segment[position:].lstrip("的")
    return rest[:15].strip(" ”“\"")


@dataclass
class _Candidate:
    start: int  # offset of the number in the segment
    metric: str
    comparator: str
    value: Decimal
    low: Decimal | None
    high: Decimal | None
    unit: str
    kind: str


def _kind_of(unit: str, before: str) -> str:
    if unit == "个百分点":
        return "share"  # "近视率较上年下降0.8个百分点": a change of a share, whichever way it goes
    if _REDUCTION_VERB.search(before) or (
        _REDUCTION_VERB_AHEAD.search(before) and _REDUCTION_VERB_AHEAD.match(_clean_metric(before))
    ):
        return "reduction"
    if unit in ("%", "倍") and (_GROWTH_VERB.search(before) or _GROWTH_NOUN.search(before)):
        return "growth"
    if unit not in ("%", "倍") and _YEARLY_INCREMENT.search(before):
        return "growth"
    if unit == "%":
        return "share"
    return "level"


def _strip_growth_verb(before: str) -> str:
    return _REDUCTION_VERB.sub("", _GROWTH_VERB.sub("", before))


def _respectively_context(segment: str, candidates: list[_Candidate]) -> str:
    """For "收入分别增长6%、7%": the words before the first number, lent to the bare items after it."""
    if candidates and "分别" in segment:
        return segment[: candidates[0].start]
    return ""


def numbers_in_segment(segment: str, context: str = "") -> list[_Candidate]:
    """Every target-like number of one list item, with the rules that drop non-targets.

    `context` is text read as if it stood before the segment (the shared head of a
    分别 list); offsets in the result are still offsets in `segment`.
    """
    if context:
        return [
            _Candidate(c.start - len(context), c.metric, c.comparator, c.value, c.low, c.high, c.unit, c.kind)
            for c in numbers_in_segment(context + segment)
            if c.start >= len(context)
        ]
    found: list[_Candidate] = []
    consumed_until = 0  # the second number of a range (2亿至3亿元) is not a number of its own
    for number in _NUMBER.finditer(segment):
        if number.start() < consumed_until:
            continue
        candidate, consumed_until = _candidate_from_number(segment, number)
        if candidate:
            found.append(candidate)
    if "半" not in segment and "番" not in segment:
        found.sort(key=lambda c: c.start)
        return found
    for idiom in _HALF_OF.finditer(segment):
        what = _clean_metric(idiom.group("what"))
        found.append(_Candidate(idiom.start(), f"占{what}比重", "approx", Decimal(50), None, None, "%", "share"))
    for idiom in _HALF.finditer(segment):
        before = segment[: idiom.start()]
        if _NUMBER_BEFORE_HALF.search(before):
            continue
        word = _BEFORE_COMPARATOR.search(before)
        comparator = ">=" if idiom.group("after") else COMPARATOR_OF_WORD[word.group("word")] if word else "="
        before = before[: word.start()] if word else before
        metric = _clean_metric(_strip_growth_verb(before)) or _noun_after(segment, idiom.end())[:10]
        found.append(_Candidate(idiom.start(), metric, comparator, Decimal(50), None, None, "%",
                                "reduction" if _REDUCTION_VERB.search(before) else "share"))
    for idiom in _DOUBLING.finditer(segment):
        times = {"两": 3, "二": 3, "三": 7}.get(idiom.group("times") or "一", 1)
        found.append(
            _Candidate(idiom.start(), _clean_metric(idiom.group("what")), "=", Decimal(100 * times), None, None, "%",
                       "growth")
        )
    found.sort(key=lambda c: c.start)
    return found


_LATIN = re.compile(r"[A-Za-z]")
_ANY_NUMERAL = re.compile(r"[\d一二两三四五六七八九十百千万亿半番]")


def _candidate_from_number(segment: str, number: re.Match) -> tuple[_Candidate | None, int]:
    """The candidate for one number (or None), and where the text it used ends."""
    start, end = number.span()
    tail = _TAIL.match(segment, end)
    return _candidate_with_tail(segment, number, tail), (tail.end() if tail.group("n2") else end)


def _candidate_with_tail(segment: str, number: re.Match, tail: re.Match) -> _Candidate | None:
    start, end = number.span()
    prev_char = segment[start - 1] if start else ""
    # Ordinals, per-unit rates, programme labels ("4+3"), codes (5G, B2版, 123X).
    next_char = segment[end : end + 1]
    if prev_char in "第每+＋" or (next_char and next_char in "+＋") or _LATIN.match(next_char) or _LATIN.match(prev_char):
        return None
    if _inside_short_quote(segment, start):
        return None

    if number.group("ar"):
        value = _to_decimal(number.group("ar"))
        scale = number.group("scale") or ""
        more = number.group("more")
        chinese = False
    else:
        numeral = number.group("cn")
        if not _is_real_chinese_number(numeral) or prev_char in "上数几下":  # 上百台, 数十项, 下一个
            return None
        if numeral.endswith("百") and segment.startswith("分之", end):
            return _chinese_percentage(segment, number)
        int_value, scale = split_chinese_scale(numeral)
        value = Decimal(int_value)
        more = None
        chinese = True

    unit = tail.group("unit") or tail.group("pct") or ""
    if tail.group("unit1") and unit != tail.group("unit1"):
        return None  # "5万吨至6亿元" is no range of one quantity
    alternative = "（" + tail.group("alternative")[1:-1] + "）" if tail.group("alternative") and unit in COUNT_UNITS else ""
    is_scale_level = bool(tail.group("level")) and scale in ("亿", "万", "万亿", "千亿", "百亿", "千万", "百万")
    if not unit and not is_scale_level:
        return None
    if unit in ("％",):
        unit = "%"
    if unit == "百分点":
        unit = "个百分点"
    if unit == "元人民币":
        unit = "元"
    if is_scale_level and not unit:
        unit = "元"  # 千亿级 is an amount of money
    if unit == "%" and scale:
        return None
    full_unit = scale + unit + alternative

    before_all = segment[:start]
    comparator_word = _BEFORE_COMPARATOR.search(before_all)
    before = before_all[: comparator_word.start()] if comparator_word else before_all
    after = tail.group("after") or ""
    tail_end = tail.end()

    # --- rules that drop non-targets ---------------------------------------
    if _BENEFICIARIES.search(before) or _AGAINST_PLAN.search(before_all):
        return None
    if after == "大关":
        after = ""
    if tail.group("level"):
        # 千亿级: a target only when something is to be built at that scale ("建成千亿级装备制造基地");
        # otherwise it qualifies a project or firm (十亿级项目), also when the firms are then counted
        # ("培育百亿级企业5家": the target is the 5).
        if not is_scale_level or not _BUILD_VERB.search(before) or _COUNT_FOLLOWS.search(segment, tail_end):
            return None
    next_char = segment[tail_end : tail_end + 1]
    if after in ("以上", "以下", "及以上") and _CJK.match(next_char) and not (unit == "%" and next_char == "的"):
        return None  # 5亿元以上项目: a size class, not a target (but 90%以上的行政村 is a share of them)
    # "每年安排不低于10亿元支持…": an amount under a floor is the target, whatever verb follows it.
    floor = comparator_word is not None and comparator_word.group("word") in ("不低于", "不少于", "至少")
    if unit not in COUNT_UNITS and not tail.group("level") and _CJK.match(next_char) and not after and not floor:
        # (but "扩大到80%的公共停车场" is a share reached of the things named after it)
        share_reached = unit == "%" and next_char == "的" and _REACHED_TO.search(before)
        if not segment.startswith("人民币", tail_end) and not _NAMED_AS_TARGET.match(segment, tail_end) and not share_reached:
            return None  # 超亿元企业, 30亿元某项目, 8万亩水稻: a size qualifier
    if next_char == "的" and _COUNT_FOLLOWS.search(segment, tail_end + 1):
        return None  # "年产量超10万辆的整车企业3家": the size of the things counted after it
    counts_scaled_things = unit == "个" and _SCALE_QUALIFIER_AHEAD.match(segment, tail_end)
    if chinese and unit in COUNT_UNITS and not counts_scaled_things and not _BUILD_VERB.search(before):
        # 三个方面, 五条措施, 两个维护: Chinese-numeral counts are labels unless
        # something is built or added.
        return None

    # --- comparator -------------------------------------------------------
    comparator = "="
    if comparator_word:
        comparator = COMPARATOR_OF_WORD[comparator_word.group("word")]
    elif _AT_LEAST_BEFORE_VERB.search(before):
        comparator = ">="
    elif unit == "%" and (bound := _BOUND_BEFORE_BASE.search(before)):
        comparator = COMPARATOR_OF_WORD[bound.group("word")]
    if more or tail.group("more"):
        comparator = ">="
    if after:
        comparator = COMPARATOR_OF_WORD[after]
    if is_scale_level:
        comparator = ">="
    low = high = None
    if tail.group("n2"):
        low, high = value, _to_decimal(tail.group("n2"))
        comparator = "range"
        full_unit = (tail.group("scale2") or scale) + unit + alternative

    ceiling = comparator == "<=" or "最高" in before or "最多" in before
    if full_unit.endswith("元") and (before.endswith(("最高", "最多")) or ceiling and _PER_UNIT_CAP.search(before)):
        return None  # "单个项目补助不超过1000万元", "奖励最高50万元": a ceiling on a grant, not a target
    if full_unit.endswith("元") and _GRANT_TO_EACH.search(before):
        return None  # "对首次入统的企业给予一次性奖励20万元": what each recipient gets, a rule and not a target
    if "本" in before and _OWN_EVENT.search(before):
        return None  # "本次博览会共设展位800个": the schedule of the event being reported

    # --- kind and metric --------------------------------------------------
    before = _TARGET_NAMED.sub("", before)  # "经济增长预期目标定在6%": the growth is the target
    kind = _kind_of(unit, before)
    metric = _clean_metric(_strip_growth_verb(before))
    if counts_scaled_things:
        last_level = segment.rfind("级")
        scale_words = _SCALE_QUALIFIER_AHEAD.match(segment, tail_end).group()
        metric = scale_words + segment[last_level + 1 :].strip(" ”“\"")
    elif is_scale_level:
        metric = _noun_after(segment, tail_end) + "规模"
    elif not metric and unit == "%" and next_char == "的":
        metric = _noun_after(segment, tail_end)[:10] + "占比"  # 90%以上的行政村实现快递直达
    elif unit in COUNT_UNITS and tail_end < len(segment):
        noun = _noun_after(segment, tail_end)
        if noun and (not metric or _BUILD_VERB.fullmatch(metric)):
            metric = metric + noun if metric and _BUILD_VERB.fullmatch(metric) else noun
    return _Candidate(start, metric, comparator, value, low, high, full_unit, kind)


# The cap a rule puts on what one firm or project may receive.
_PER_UNIT_CAP = re.compile(r"(?:^|[，,；;])[\u4e00-\u9fff]{0,4}?(?:单个|单家|单项|单笔|每个|每家|每户|每人|每项)")
# The event a write-up reports on (本系列发布会, 本届博览会): its own programme is no pledge.
# (本次规划 is a plan speaking of itself: its targets are pledges.)
_GRANT_TO_EACH = re.compile(r"(?:^|[，,])对[^，,。；;]{2,40}?(?:给予|奖励|补助|补贴)[\u4e00-\u9fff]{0,8}$")
_OWN_EVENT = re.compile(r"本(?:系列|次|届)?[\u4e00-\u9fff]{0,6}?(?:发布会|会议|大会|论坛|博览会|展会|赛事|运动会|活动|节)")
# "X增长预期目标定在6%", "新增就业目标为12万人": the word naming the target stands between X and the number.
_TARGET_NAMED = re.compile(r"(?:的)?(?:预期|主要|年度)?目标(?:值)?(?:定在|定为|设定为|设定在|设为|为|是)?$")


def _chinese_percentage(segment: str, number: re.Match) -> _Candidate | None:
    m = re.compile(r"分之([〇零一二两三四五六七八九十百点]+|[0-9]+(?:\.[0-9]+)?)").match(segment, number.end())
    if not m:
        return None
    digits = m.group(1)
    value = Decimal(digits) if digits[0].isdigit() else Decimal(chinese_numeral_to_int(digits))
    before = segment[: number.start()]
    comparator_word = _BEFORE_COMPARATOR.search(before)
    comparator = COMPARATOR_OF_WORD[comparator_word.group("word")] if comparator_word else "="
    if comparator_word:
        before = before[: comparator_word.start()]
    return _Candidate(number.start(), _clean_metric(_strip_growth_verb(before)), comparator, value, None, None, "%",
                      _kind_of("%", before))


# --------------------------------------------------------------------------
# Clauses and segments
# --------------------------------------------------------------------------


# In a 分别 list the last two quantities may be joined by 和/及/与 ("分别增长5.5%和7%", "分别达到30家和40家").
# The text before the 和 must end with a quantity; it is searched up to the 和, so units of any length match.
_QUANTITY_END = re.compile(r"(?:[0-9%％]|" + _UNIT_ALTERNATION + r")$")


_NOTE_OPENING = re.compile(r"[（(](?:牵头|责任|配合|完成时|时间节点|时限)")
_ITEM_BREAK = re.compile(r"[、和及与]")


def _segments(clause: str, offset: int) -> list[tuple[str, int]]:
    """Split a clause into 、-separated list items; "一个千亿级、三个百亿级产业基地" stays whole."""
    respectively = clause.find("分别")
    if "、" not in clause and respectively < 0:
        return [(clause, offset)]
    pieces = []
    start = 0
    for m in _ITEM_BREAK.finditer(clause):
        i = m.start()
        joins_quantities = (
            0 <= respectively < i and m.group() != "、" and clause[i + 1 : i + 2].isdigit()
            and _QUANTITY_END.search(clause, max(0, i - 8), i)
        )
        if m.group() == "、" or joins_quantities:
            pieces.append((start, i))
            start = i + 1
    pieces.append((start, len(clause)))
    merged: list[list[int]] = []
    for a, b in pieces:
        if merged and clause[merged[-1][0] : merged[-1][1]].rstrip().endswith("级"):
            merged[-1][1] = b  # the scale qualifier shares the noun of the next item
        else:
            merged.append([a, b])
    return [(clause[a:b], offset + a) for a, b in merged]


def _trim(text: str, start: int, number_at: int) -> tuple[str, int]:
    """Trim whitespace and the quote marks that do not belong to the clause.

    `number_at` is the offset of the target's number in `text`: an opening quote
    before it that is never closed starts the clause ("围绕“两年建成…" -> "两年建成…"),
    a closing quote after it that was never opened ends it ("…200家”的目标").
    """
    opening = text.rfind("“", 0, number_at)
    if opening >= 0 and "”" not in text[opening:number_at] and "”" not in text[number_at:]:
        text, start, number_at = text[opening + 1 :], start + opening + 1, number_at - opening - 1
    closing = text.find("”", number_at)
    if closing >= 0 and "“" not in text[:closing]:
        text = text[:closing]
    note = _NOTE_OPENING.search(text, number_at)
    if note:
        text = text[: note.start()]  # "新增规上工业企业80家以上（牵头单位：…": the note is not part of the target
    stripped = _LIST_MARK.sub("", text.lstrip(" \t\r\n\u3000"), count=1)  # "- 新增就业1.2万人": not the bullet
    return stripped.rstrip(" \t\r\n\u3000"), start + len(text) - len(stripped)


class _Extractor:
    def __init__(
        self,
        text: str,
        year: int,
        *,
        skipped_spans: list[tuple[int, int]] = (),
        issuer: str | None = None,
        default_deadline: date | None = None,
        plan: tuple[int, int] | None = None,
        written_on: date | None = None,
        assigned_spans: list[tuple[int, int]] = (),
    ):
        """`skipped_spans`: review sections and table rows, where no clause is read for targets; `issuer`: the
        owner of targets that name no one; `default_deadline`: for targets without a time word (the end of a
        plan's period, else the end of the document's year)."""
        self.text = text
        self.year = year
        self.skipped_starts = [a for a, _ in skipped_spans]
        self.skipped_spans = list(skipped_spans)
        self.issuer = issuer
        self.plan = plan
        self.assigned_spans = sorted(assigned_spans)  # tasks a note assigns to a unit (its 牵头单位, 完成时限)
        self.assigned_starts = [a for a, _ in self.assigned_spans]
        self.written_on = written_on  # the document's own date, after which its earlier months are results
        self.list_tense: str | None = None  # the tense of the line that introduced the list being read
        self.list_deadline: date | None = None  # the period that line named ("到2028年，实现以下目标：")
        self.marks, self.main_actor = _owner_marks(text)
        # Without a place of its own the document's head of government speaks for no one in particular.
        self.marks = [replace(mark, owner=issuer or "") if mark.owner == THIS_PLACE else mark for mark in self.marks]
        self.paragraph_marks = [mark for mark in self.marks if mark.paragraph_only]
        self.paragraph_mark_positions = [mark.position for mark in self.paragraph_marks]
        self.document_marks = [mark for mark in self.marks if not mark.paragraph_only]
        self.document_mark_positions = [mark.position for mark in self.document_marks]
        self.speaker_positions = sorted(m.position for m in self.marks if m.owner)
        # One pattern of every company's short name, so that a clause is searched once, not once per name.
        names = sorted(set(_COMPANY_ALIAS.findall(text)), key=len, reverse=True)
        self.company_name = re.compile("|".join(map(re.escape, names))) if names else None
        self.sentence_ends = [m.start() for m in _SENTENCE_END.finditer(text)]
        self.statistics_at = [m.start() for m in _STATISTICS.finditer(text)]
        self.progress_at = sorted(
            [m.start() for m in _PROGRESS_WORD.finditer(text)] + [m.start() for m in _PROGRESS.finditer(text)]
        )
        # "总结今年经济工作,部署明年重点任务": a year-end review, where 今年 is already the past.
        self.this_year_is_past = text.count("明年") >= 2 and text.count("明年") >= text.count("今年")
        self.default_deadline = default_deadline or date(year + 1 if self.this_year_is_past else year, 12, 31)
        self.heading_spans = [(m.start(), m.end()) for m in _HEADING.finditer(text)]
        self.heading_starts = [a for a, _ in self.heading_spans]
        self.drafts: list[Draft] = []
        # running state
        self.tense: str = NEUTRAL
        self.sentence_deadline: date | None = None
        self.line_has_punctuation = False
        self.paragraph_start = 0
        self.block_start = 0  # start of the current run of lines without a blank line or heading between them
        self.sentence_metric = ""  # the last metric of the sentence, for "…,年均增长10%以上"
        self.sentence_kind = ""
        self.open_yearly_rates: list[int] = []
        self.sentence_planned = False  # a clause of this sentence names a plan's figure (年度计划投资2.5亿元)  # drafts of 年均 rates in this sentence still without a period

    # -- owners -------------------------------------------------------------
    def owner_at(self, position: int) -> _OwnerMark | None:
        """The speaker of the current paragraph, else the actor of the current section."""
        i = bisect.bisect_right(self.paragraph_mark_positions, position) - 1
        # The latest mark of this paragraph; else the official speaking in this block ("市商务局将…" names the
        # actor of one paragraph only, and the bureau's head goes on speaking after it).
        while i >= 0 and self.paragraph_marks[i].position >= self.block_start:
            mark = self.paragraph_marks[i]
            if mark.position >= self.paragraph_start or mark.speaker:
                return mark
            i -= 1
        if i >= 0 and self.paragraph_marks[i].introduces and self.introduced_here(self.paragraph_marks[i], position):
            return self.paragraph_marks[i]
        i = bisect.bisect_right(self.document_mark_positions, position) - 1
        return self.document_marks[i] if i >= 0 else None

    def names_other_city(self, clause: str) -> bool:
        m = _OTHER_CITY.search(clause)
        if not m:
            return False
        if m.group("neighbour"):
            return True
        city = m.group("city")
        if city[-2] in "全本我该各此":
            return False  # 全市计划…: the document's own city
        own = _CITY_NAME.search(self.issuer or "")
        return bool(own) and own.group() not in city

    def introduced_here(self, speaker: _OwnerMark, position: int) -> bool:
        """Do the speaker's introduced paragraphs reach the position: no heading between, and the paragraph is not
        the narrator's (据了解, 另悉)?"""
        i = bisect.bisect_right(self.heading_starts, speaker.position)
        if i < len(self.heading_starts) and self.heading_starts[i] < position:
            return False
        if _SECTION_LINE.search(self.text, speaker.position, position):
            return False
        paragraph = self.text[self.paragraph_start : self.paragraph_start + 12].lstrip()
        return not _NARRATION.match(paragraph)

    def speaker_inside(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.speaker_positions, start)
        return i < len(self.speaker_positions) and self.speaker_positions[i] < end

    def later_in_sentence(self, positions: list[int], position: int) -> bool:
        """Does one of `positions` (同比/环比 in statistics_at, 完成率/时序进度 in progress_at) come later in this
        sentence?  Looked up in sorted lists made once, so that a text with no sentence end is not read again for
        each of its clauses."""
        i = bisect.bisect_left(self.sentence_ends, position)
        end = self.sentence_ends[i] if i < len(self.sentence_ends) else len(self.text)
        j = bisect.bisect_left(positions, position)
        return j < len(positions) and positions[j] < end

    def in_assigned_task(self, position: int) -> bool:
        """Is the position inside a task that a 牵头单位/责任单位 note assigns to a unit?"""
        i = bisect.bisect_right(self.assigned_starts, position) - 1
        return i >= 0 and position < self.assigned_spans[i][1]

    def skipped(self, position: int) -> bool:
        i = bisect.bisect_right(self.skipped_starts, position) - 1
        return i >= 0 and position < self.skipped_spans[i][1]

    def heading_at(self, position: int) -> tuple[int, int] | None:
        i = bisect.bisect_right(self.heading_starts, position) - 1
        if i >= 0 and self.heading_spans[i][0] <= position < self.heading_spans[i][1]:
            return self.heading_spans[i]
        return None

    # -- walking the text ---------------------------------------------------
    def run(self, stop_after: int | None = None) -> list[Draft]:
        text = self.text
        position = 0
        for delimiter in _DELIMITER.finditer(text):
            self.handle_clause(position, delimiter.start())
            if stop_after is not None and len(self.drafts) > stop_after:
                return self.drafts
            kind = delimiter.lastgroup
            if kind == "sent":
                self.sentence_planned = False
                self.open_yearly_rates = []
                self.sentence_deadline = None
                self.sentence_metric = ""
                self.sentence_kind = ""
                self.line_has_punctuation = True
            elif kind == "clause":
                self.line_has_punctuation = True
            else:
                self.handle_newline(delimiter.start())
            position = delimiter.end()
        self.handle_clause(position, len(text))
        return self.drafts

    def handle_newline(self, position: int) -> None:
        """A line break ends the paragraph unless it only breaks a sentence (page break)."""
        back = position - 1
        while back >= 0 and self.text[back] in " \t\r\n\u3000":
            back -= 1
        last_char = self.text[back] if back >= 0 else "。"
        following = _NEXT_TEXT.search(self.text, position + 1)
        next_is_item = bool(following) and starts_list_item(self.text, following.start())
        line_start = self.text.rfind("\n", 0, back + 1) + 1
        if next_is_item and not starts_list_item(self.text, line_start):
            # "今年以来…取得新成效：" (or a paragraph of last year's results) then "- 地区生产总值增长6.1%":
            # a list reports what the line that introduces it reports.
            self.list_tense = self.tense if self.tense in (PAST, FORECAST) else None
            # "到2028年，实现以下目标：": the period of a line that introduces its list with a colon is the list's.
            self.list_deadline = self.sentence_deadline if not self.list_tense and last_char in "：:" else None
        elif not next_is_item:
            self.list_tense = None
            self.list_deadline = None
        if last_char in _TERMINAL or not self.line_has_punctuation or self.heading_at(back) or next_is_item:
            # A write-up that puts each sentence on a line of its own: a line right under one that ended in the
            # past ("去年…增长5.2%。" then "外贸进出口总额1520亿元。") goes on reporting, until a blank line, a
            # heading or a line with a time word of its own.
            goes_on = (
                self.tense == PAST and last_char in _TERMINAL and not next_is_item and following is not None
                and "\n" not in self.text[position + 1 : following.start()] and not self.heading_at(following.start())
                and not _SECTION_START.match(self.text, following.start())
            )
            self.tense = self.list_tense or (PAST if goes_on else NEUTRAL)
            if (
                following is None or "\n" in self.text[position + 1 : following.start()] or self.heading_at(back)
                or _SECTION_START.match(self.text, following.start())
            ):
                self.block_start = position
            self.sentence_planned = False
            self.sentence_deadline = self.list_deadline  # an item with no period of its own is due when its list is
            self.sentence_metric = ""
            self.sentence_kind = ""
            self.line_has_punctuation = False
            self.paragraph_start = position
        # otherwise the line break only cuts a sentence (a page break inside a word): keep the state

    def handle_clause(self, start: int, end: int) -> None:
        if start >= end:
            return
        if self.heading_at(start):
            self.tense = NEUTRAL
            self.sentence_deadline = None
            return
        if self.skipped(start) or end - start > MAX_CLAUSE_CHARS:
            return  # no clause holds a target in thousands of characters without a comma; reading one costs n²
        clause = self.text[start:end]
        if self.speaker_inside(start, end):
            self.tense = NEUTRAL  # a new speaker starts a new passage
        baselines = [(m.start() + start, m.end() + start) for m in _FROM_BASELINE.finditer(clause)]
        if baselines:
            # The baseline (目前的380家, 2020年的5400亿元) says where things stand: its time words are not the
            # clause's, and its number is no target.
            clause = _FROM_BASELINE.sub(lambda m: "从" + "\u3000" * (len(m.group()) - 1), clause)
        if "基础上" in clause:
            baselines += [(m.start() + start, m.end() + start) for m in _ON_THE_BASIS.finditer(clause)]
        if self.sentence_planned and _DONE_AGAINST_PLAN.match(clause) and not _AIMED.search(clause):
            self.tense = PAST  # "年度计划投资0.8亿元，完成0.1亿元": what is done so far against the plan just named
            return
        self.sentence_planned = self.sentence_planned or bool(_YEAR_PLAN_FIGURE.search(clause))
        progress = _PROGRESS.search(clause)
        if progress:
            self.tense = PAST
            self.restated_target(start, progress)
            return
        tense = clause_tense(clause, self.year, self.this_year_is_past)
        assigned = self.in_assigned_task(start)
        if assigned and tense == PAST and not _PAST.search(_STATISTICS.sub("", clause)):
            tense = None  # "事故起数同比下降10%" in a task given to a unit: last year is the baseline of the target
        if tense != PAST and self.written_on and names_elapsed_period(clause, self.written_on):
            tense = PAST
        elif (
            tense is None and self.tense != FORECAST and self.written_on and names_period_ahead(clause, self.written_on)
        ):  # (not after 预计 earlier in the sentence: "陈某预计，一季度…增速在5%左右" still forecasts)
            tense = FORWARD  # "四季度完成投资不少于1.4亿元" in a bulletin written in October
        if (
            tense == FORWARD and self.written_on and self.written_on.month > 6 and "今年" in clause
            and not _FORWARD.search(clause.replace("今年", "")) and not _INTENT.search(clause)
        ):
            # "今年全县夏粮播种面积36.8万亩" in an article dated in July: 今年 with no word of intent tells what
            # this year has already brought.
            tense = PAST
        own_tense = tense
        if tense is None and (
            _PROGRESS_WORD.search(clause) or self.later_in_sentence(self.progress_at, end)
            or not assigned and self.later_in_sentence(self.statistics_at, end)
        ):
            tense = PAST  # "全市实现地区生产总值3200亿元,同比增长6.1%": the whole sentence reports results
        elif (
            tense == FORWARD and self.later_in_sentence(self.progress_at, end) and not _INTENT.search(clause)
            and not _FORWARD.search(_THIS_YEAR.sub("", clause)) and not _YEAR.search(clause)
        ):
            tense = PAST  # "全年粮食播种面积稳定在97.6万亩，完成年度计划的102.2%": the year's result against its plan
        if tense:
            self.tense = tense
        deadline = find_deadline(clause, self.year, self.this_year_is_past, self.plan)
        # "其中8所9月底前投入使用": a milestone of the part, due then; the clauses after it keep the sentence's time.
        own_deadline = deadline if deadline and self.tense != PAST and clause.startswith("其中") else None
        if deadline and self.tense != PAST and not own_deadline:
            self.sentence_deadline = deadline
            # "交易额年均增长15%以上，到2028年达到300亿元": the yearly rate runs to the year the sentence names next.
            for i in self.open_yearly_rates:
                self.drafts[i] = replace(self.drafts[i], deadline=deadline)
            self.open_yearly_rates = []
        # In a sentence of results, a clause with no time word of its own may still restate the year's plan.
        plan_only = self.tense in (PAST, FORECAST)
        restates_plan = own_tense is None and _PLAN_FIGURE.search(clause, 0, _first_digit(clause))
        if (plan_only and not restates_plan) or _DONE.search(clause):
            return
        if not _ANY_NUMERAL.search(clause):
            return
        # A specification word inside a quoted name ("亩均效益"评价) describes no project.
        # (A change from a baseline, 亩均税收从28万元提高到40万元, moves an indicator: no project is described.)
        if (_SPECIFICATION.search(_QUOTED_NAME.sub("", clause)) and not baselines) or _COMPANY_MENTION.search(clause):
            return
        if _is_routine(clause):
            return
        if "项目" in clause and _PROJECT_LIST.search(clause) and _TOTAL_INVESTMENT_NEXT.match(self.text, end + 1):
            return  # "安排重点项目92个，总投资612亿元": the size of a list of projects, as with 、
        if self.company_name and self.company_name.search(clause):
            return
        if self.names_other_city(clause):
            return  # "岚州市提出全年新增…200家", "邻市今年计划…": another city's figures, even its targets
        # (at its first figure: a body named at the head of the clause, 1.市商务局要确保…, speaks for it)
        list_mark = _LIST_MARK.match(clause)
        figure_at = list_mark.end() if list_mark else 0
        owner_mark = self.owner_at(start + figure_at + _first_digit(clause[figure_at:]))
        if owner_mark and owner_mark.is_company:
            return  # a company's own statement
        if owner_mark and owner_mark.owner and _STATISTICS_BODY.search(owner_mark.owner) and self.tense != FORWARD:
            return  # the statistics bureau at a press conference reports figures; it sets no targets of its own
        owner = owner_mark.owner if owner_mark and owner_mark.owner else (self.main_actor or self.issuer)
        owner = _full_government_name(owner, self.issuer)
        clause_deadline = own_deadline or self.sentence_deadline or self.default_deadline
        if clause_deadline < date(self.year, 1, 1):
            return  # "“十四五”期间新增…": a period that ended before the document was written reports results
        context = ""
        for segment, segment_start in _segments(clause, start):
            # "到2028年达到150亿元、2030年达到220亿元": a list item that opens with a year of its own is due then.
            own_year = _YEAR.match(segment, _TO_PREFIX.match(segment).end())
            if segment_start > start and own_year and int(own_year.group(1)) >= self.year:
                clause_deadline = find_deadline(segment, self.year, self.this_year_is_past, self.plan)
            candidates = numbers_in_segment(segment)
            if not candidates and context and _BARE_QUANTITY.fullmatch(segment):
                candidates = numbers_in_segment(segment, context)
            context = _respectively_context(segment, candidates)
            original_segment = self.text[segment_start : segment_start + len(segment)]
            for candidate in candidates:
                at = segment_start + candidate.start
                if any(a <= at < b for a, b in baselines):
                    continue
                if plan_only and not _restates_plan(segment[: candidate.start]):
                    continue
                # (An item of a list is read as its list is: "- 粮食产量约9.5亿斤" under the year's targets.)
                estimate = self.tense == NEUTRAL and _ESTIMATE.search(segment, 0, candidate.start)
                if (
                    estimate and not _TARGET_VERB_BEFORE.search(segment, 0, estimate.start() + 1)
                    and not starts_list_item(self.text, self.text.rfind("\n", 0, start) + 1)
                ):
                    continue  # "春节期间商场销售额约18亿元": an estimate with no word looking ahead reports a figure
                sentence, sentence_start = _trim(original_segment, segment_start, candidate.start)
                if not sentence:
                    continue
                metric = candidate.metric
                baseline_before = [a for a, b in baselines if segment_start <= a and b <= at]
                if baseline_before:  # "规上工业企业数量从目前的380家增加到430家": the name stands before 从
                    metric = _clean_metric(self.text[segment_start : baseline_before[0]])
                kind = candidate.kind
                if not metric and kind == "share" and self.sentence_kind == "growth" and candidate.unit == "%":
                    kind = "growth"  # "增长5%以上，力争达到6%": the second figure is the same growth rate
                metric = metric or self.sentence_metric
                if not metric or _TARGET_WORD.fullmatch(metric):  # "年度任务3500套" under "2.保障性住房。"
                    metric = self.item_title(start) or metric
                self.sentence_metric = metric
                self.sentence_kind = kind
                if kind == "growth" and not self.sentence_deadline and _YEARLY.search(segment):
                    self.open_yearly_rates.append(len(self.drafts))
                self.drafts.append(
                    Draft(
                        sentence=sentence,
                        start=sentence_start,
                        metric=metric,
                        comparator=candidate.comparator,
                        value=candidate.value,
                        low=candidate.low,
                        high=candidate.high,
                        unit=candidate.unit,
                        kind=kind,
                        deadline=clause_deadline,
                        owner=owner,
                    )
                )


    def item_title(self, position: int) -> str:
        """The run-in title of the numbered item the position is in ("1.外贸进出口。年度目标3.8亿美元…"), or ""."""
        line_start = self.text.rfind("\n", 0, position) + 1
        title = _ITEM_TITLE.match(self.text, line_start, position)
        return title.group(1) if title else ""

    def restated_target(self, clause_start: int, progress: re.Match) -> None:
        """The year's target written inside a progress figure (完成全年目标90亿元的54%), named after the figure the
        sentence reports before it."""
        head = progress.start("target") - progress.start()  # the number is read with the plan's name before it
        candidates = [c for c in numbers_in_segment(progress.group()[: head + len(progress.group("target"))])
                      if c.start >= head]
        if len(candidates) != 1:
            return
        candidate = candidates[0]
        sentence_start = self.text.rfind("。", 0, clause_start) + 1
        line_start = self.text.rfind("\n", 0, clause_start) + 1
        before = self.text[max(sentence_start, line_start) : clause_start].rstrip("，, ")
        reported = numbers_in_segment(re.split(r"[，,：:]", before)[-1])
        at = clause_start + progress.start() + candidate.start
        sentence, sentence_start = _trim(self.text[clause_start + progress.start() : clause_start + progress.end()],
                                         clause_start + progress.start(), at - clause_start - progress.start())
        owner_mark = self.owner_at(clause_start)
        owner = owner_mark.owner if owner_mark and owner_mark.owner else (self.main_actor or self.issuer)
        self.drafts.append(
            Draft(
                sentence=sentence, start=sentence_start,
                metric=reported[-1].metric if reported else candidate.metric, comparator="=", value=candidate.value,
                low=None, high=None, unit=candidate.unit, kind=candidate.kind,
                deadline=self.default_deadline if self.default_deadline.year == self.year else date(self.year, 12, 31),
                owner=_full_government_name(owner, self.issuer),
            )
        )


_TARGET_WORD = re.compile(r"(?:年度|全年|今年|本年)?(?:目标|任务|计划)(?:任务)?")
# A numbered item's run-in title: "1.外贸进出口。", "（二）保障性住房筹集："
_ITEM_TITLE = re.compile(
    r"[ \t\u3000]*(?:[0-9]{1,2}[．.、]|[（(][0-9一二三四五六七八九十]{1,3}[）)])[ \t\u3000]*([\u4e00-\u9fff]{2,12})[。：:]"
)
_DIGIT = re.compile(r"[0-9]")
_TO_PREFIX = re.compile(r"\s*(?:到|至)?")


def _first_digit(clause: str) -> int:
    m = _DIGIT.search(clause)
    return m.start() if m else 0


def _restates_plan(before: str) -> bool:
    """Is the number after `before` the figure of a plan ("产业项目年度计划投资" 98亿元), not a difference from one?"""
    plan = _PLAN_FIGURE.search(before)
    return bool(plan) and not _COMPARED_WITH.search(before, 0, plan.start())


def extract_clauses(text: str, year: int, *, stop_after: int | None = None, **layout) -> tuple[list[Draft], str | None]:
    """Drafts of the running text in document order, and the document's main actor; `layout` as for _Extractor."""
    extractor = _Extractor(text, year, **layout)
    return extractor.run(stop_after), extractor.main_actor

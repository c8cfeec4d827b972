"""Specification of the rule-based pledge extractor (commitments.extraction).

Every example is a short sentence written for this file, in the style of a
Chinese local-government work report or plenary write-up.  No database needed.
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from commitments.extraction import Draft, chinese_numeral_to_int, extract

YEAR = 2025


def drafts(text: str, year: int = YEAR) -> list[Draft]:
    return extract(text, year)


def only(text: str, year: int = YEAR) -> Draft:
    found = drafts(text, year)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------
# The shape of a draft
# --------------------------------------------------------------------------


def test_a_draft_points_at_the_exact_clause_that_holds_the_target():
    text = "坚持项目为王,全年新开工亿元以上项目45个,推动产业升级。"
    draft = only(text)
    assert draft.sentence == "全年新开工亿元以上项目45个"
    assert text[draft.start : draft.start + len(draft.sentence)] == draft.sentence


def test_drafts_come_in_document_order_one_per_number():
    found = drafts("今年新增城镇就业9000人,城镇调查失业率控制在5.5%以内,居民收入增长6%。")
    assert [(d.value, d.unit) for d in found] == [(9000, "人"), (Decimal("5.5"), "%"), (6, "%")]


def test_the_metric_is_the_noun_phrase_before_the_number_without_time_or_modal_words():
    assert only("力争全年新增规上工业企业60家。").metric == "新增规上工业企业"


# --------------------------------------------------------------------------
# Numerals
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "numeral, value",
    [("两", 2), ("十", 10), ("十五", 15), ("五百", 500), ("三千", 3000), ("一千五百万", 15_000_000), ("万亿", 10**12)],
)
def test_chinese_numerals_are_read_as_integers(numeral, value):
    assert chinese_numeral_to_int(numeral) == value


def test_an_arabic_number_keeps_its_decimals():
    draft = only("今年全社会研发投入占比达3.25%。")
    assert draft.value == Decimal("3.25")


def test_a_chinese_count_after_a_build_verb_becomes_its_value():
    draft = only("今年新建两个省级农业科技园区。")
    assert (draft.value, draft.unit, draft.metric) == (2, "个", "新建省级农业科技园区")


def test_a_count_of_clusters_of_a_stated_scale_counts_the_clusters():
    draft = only("三年培育两个三百亿级先进制造业集群。")
    assert (draft.value, draft.unit, draft.comparator) == (2, "个", "=")
    assert draft.metric == "三百亿级先进制造业集群"


def test_a_chinese_numeral_with_a_scale_word_becomes_its_value():
    draft = only("到2030年建成千亿级临港产业基地。")
    assert (draft.value, draft.unit, draft.comparator, draft.kind) == (1000, "亿元", ">=", "level")


def test_an_amount_stays_in_the_unit_the_document_uses():
    draft = only("全市地区生产总值今年力争突破1.2万亿元。")
    assert (draft.value, draft.unit) == (Decimal("1.2"), "万亿元")


def test_a_scale_word_before_a_currency_forms_the_unit():
    assert only("全年实际使用外资8500万美元。").unit == "万美元"


def test_a_percentage_is_a_number_with_the_percent_unit():
    draft = only("今年城镇化率达到72%。")
    assert (draft.value, draft.unit) == (72, "%")


# --------------------------------------------------------------------------
# Comparators
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "全年新增市场主体8000户以上。",
        "全年新认定科技型中小企业超600家。",
        "全年新增城镇就业不少于1.2万人。",
        "全年至少建成3个省级以上研发平台。",
        "今年全区外贸进出口总额突破500亿元。",
    ],
)
def test_words_for_at_least_give_greater_or_equal(text):
    assert only(text).comparator == ">="


@pytest.mark.parametrize(
    "text",
    [
        "全年城镇调查失业率控制在5.5%以内。",
        "全年较大安全生产事故不超过2起。",
        "今年居民消费价格涨幅控制在3%以下。",
    ],
)
def test_words_for_at_most_give_less_or_equal(text):
    assert only(text).comparator == "<="


@pytest.mark.parametrize("text", ["全年新增高新技术企业达150家。", "全年新建5G基站800个。"])
def test_da_or_a_plain_number_gives_equal(text):
    assert only(text).comparator == "="


@pytest.mark.parametrize(
    "text",
    ["全年地区生产总值增长5.5%左右。", "今年计划完成水利投资约30亿元。", "今年计划改造老旧小区近80个。"],
)
def test_words_for_about_give_approx(text):
    assert only(text).comparator == "approx"


@pytest.mark.parametrize("text", ["全年新增规上企业30至40家。", "全年新增规上企业30-40家。"])
def test_a_span_between_two_numbers_gives_a_range(text):
    draft = only(text)
    assert (draft.comparator, draft.low, draft.high, draft.value, draft.unit) == ("range", 30, 40, 30, "家")


def test_a_range_of_amounts_shares_the_unit_written_after_the_second_number():
    draft = only("今年全区计划完成技改投资80亿至100亿元。")
    assert (draft.low, draft.high, draft.unit) == (80, 100, "亿元")


def test_yishang_at_the_end_of_a_list_binds_only_to_the_last_item():
    first, second = drafts("全年引进博士50名、硕士研究生500名以上。")
    assert (first.value, first.comparator, first.sentence) == (50, "=", "全年引进博士50名")
    assert (second.value, second.comparator, second.sentence) == (500, ">=", "硕士研究生500名以上")


# --------------------------------------------------------------------------
# Kinds
# --------------------------------------------------------------------------


def test_the_last_two_items_of_a_fenbie_list_may_be_joined_by_he():
    urban, rural = drafts("城乡居民人均可支配收入分别增长5.5%和7%。")
    assert [(d.metric, d.value, d.kind) for d in (urban, rural)] == [
        ("城乡居民人均可支配收入", Decimal("5.5"), "growth"), ("城乡居民人均可支配收入", 7, "growth"),
    ]
    assert [d.value for d in drafts("今年新增规上企业和高新技术企业分别达到30家和40家。")] == [30, 40]
    assert [d.value for d in drafts("全年新建和改造农村公路分别达到30公里和40公里。")] == [30, 40]  # a two-character unit


def test_he_outside_a_fenbie_list_is_part_of_the_name():
    assert only("研发和创新投入增长10%。").metric == "研发和创新投入"


def test_a_scale_class_followed_by_a_count_is_a_qualifier_and_the_count_is_the_target():
    draft = only("力争三年内培育百亿级企业5家。")
    assert (draft.value, draft.unit, draft.metric) == (5, "家", "培育百亿级企业")


@pytest.mark.parametrize(
    "text, metric, comparator, value, unit",
    [
        ("粮食产量稳定在35亿斤以上。", "粮食产量", ">=", 35, "亿斤"),
        ("全年粮食总产保持在20亿斤以上。", "粮食总产", ">=", 20, "亿斤"),
        ("审批时限压缩至3个工作日以内。", "审批时限", "<=", 3, "个工作日"),
    ],
)
def test_weights_and_working_days_are_units_and_holding_words_are_not_part_of_the_metric(text, metric, comparator, value, unit):
    draft = only(text)
    assert (draft.metric, draft.comparator, draft.value, draft.unit) == (metric, comparator, value, unit)


def test_zengzhang_a_percentage_is_growth():
    draft = only("全年规上工业增加值增长7%。")
    assert (draft.kind, draft.metric) == ("growth", "规上工业增加值")


@pytest.mark.parametrize(
    "text", ["今年数字经济核心产业增加值占比达12%。", "全年服务业增加值比重提高到52%。", "今年森林覆盖率达到25%。"]
)
def test_a_ratio_is_a_share(text):
    assert only(text).kind == "share"


def test_a_rise_in_percentage_points_is_a_share_change():
    draft = only("全年战略性新兴产业产值占比提升2个百分点。")
    assert (draft.kind, draft.unit, draft.value) == ("share", "个百分点", 2)


@pytest.mark.parametrize("text", ["今年单位地区生产总值能耗下降3%。", "全年减少燃煤消费20万吨。"])
def test_a_decrease_is_a_reduction(text):
    assert only(text).kind == "reduction"


def test_an_absolute_count_is_a_level():
    assert only("全年新建充电桩1200个。").kind == "level"


def test_shouldering_half_the_whole_is_about_fifty_percent():
    draft = only("到2035年撑起全省海洋经济半壁江山。")
    assert (draft.value, draft.comparator, draft.unit, draft.kind) == (50, "approx", "%", "share")


# --------------------------------------------------------------------------
# Deadlines
# --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["今年新建公办幼儿园6所。", "全年新增绿地面积30公顷。", "新增城乡公交线路8条。"])
def test_this_year_or_no_time_word_ends_on_31_december_of_the_document_year(text):
    assert only(text).deadline == date(YEAR, 12, 31)


def test_the_first_half_ends_on_30_june():
    assert only("力争上半年签约亿元以上项目40个。").deadline == date(YEAR, 6, 30)


@pytest.mark.parametrize("span, years", [("三年", 3), ("五年", 5)])
def test_a_span_of_years_is_counted_from_the_document_year(span, years):
    draft = only(f"{span}新增国家级专精特新企业20家。")
    assert draft.deadline == date(YEAR + years, 12, 31)


@pytest.mark.parametrize("text", ["到2035年人均地区生产总值达到25万元。", "2035年人均地区生产总值达到25万元。"])
def test_a_named_year_ends_on_31_december_of_that_year(text):
    assert only(text).deadline == date(2035, 12, 31)


def test_a_time_word_of_one_clause_carries_to_the_next_clause_of_the_sentence():
    found = drafts("到2030年,全市高新技术企业达到3000家,研发投入占比达到4%。")
    assert [d.deadline for d in found] == [date(2030, 12, 31), date(2030, 12, 31)]


# --------------------------------------------------------------------------
# Owners
# --------------------------------------------------------------------------


def test_the_owner_is_the_unit_of_the_official_who_speaks():
    text = "市交通运输局局长周明表示,今年全市将新改建农村公路300公里。"
    assert only(text).owner == "市交通运输局"


def test_a_district_party_secretary_speaks_for_the_district():
    text = "“机遇难得,必须抢抓。”清河区委书记李华表示,清河将力争全年新增规上工业企业45家。"
    assert only(text).owner == "清河区"


def test_a_body_named_as_subject_of_jiang_is_the_owner():
    text = "市人大常委会副主任、石桥高新区党工委书记王涛表示,石桥高新区将全力招商,全年新引进外资项目25个。"
    assert only(text).owner == "石桥高新区"


def test_in_a_district_report_the_district_named_as_actor_is_the_owner():
    text = "## 湖东:奋力争先\n\n2024年,湖东将突出项目攻坚。全年新开工重大项目35个,新增有效投入80亿元以上。"
    assert {d.owner for d in drafts(text, 2024)} == {"湖东"}


def test_each_passage_belongs_to_its_own_speaker():
    text = (
        "市商务局局长陈刚表示,全年外贸进出口增长5%。\n\n"
        "市农业农村局局长刘强介绍,今年将新建高标准农田12万亩。"
    )
    assert [d.owner for d in drafts(text)] == ["市商务局", "市农业农村局"]


def test_an_official_named_after_the_quote_owns_the_targets_inside_it():
    text = (
        "市商务局局长陈刚表示,全年外贸进出口增长5%。\n\n"
        "“今年全市将新增专精特新企业40家,研发投入增长10%以上。”市科技局局长王强说。"
    )
    assert [d.owner for d in drafts(text)] == ["市商务局", "市科技局", "市科技局"]


def test_a_quote_closed_before_the_speaker_does_not_reach_back_past_an_earlier_quote():
    text = "“全年新建公园8个。”市园林局局长赵亮说。“今年新增就业1万人。”市人社局局长钱平说。"
    assert [d.owner for d in drafts(text)] == ["市园林局", "市人社局"]


# --------------------------------------------------------------------------
# What is not a target
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "去年,全县新增高新技术企业60家,同比增长15%。",
        "2024年全区完成固定资产投资300亿元。",
        "近5年,全市累计建成保障性住房5000套。",
        "全年已完成投资120亿元。",
        "实现了进出口总额增长15%。",
        "今年1—4月,全市社会消费品零售总额同比增长7.2%。",
        "目前,全市共有专精特新企业210家,占比达35%。",
        "截至5月,全市在建重大项目达到316个。",
    ],
)
def test_past_results_and_current_statistics_are_not_targets(text):
    assert drafts(text) == []


def test_a_sentence_that_compares_with_last_year_reports_results_from_its_first_clause():
    assert drafts("今年上半年,全市实现地区生产总值3200亿元,同比增长6.1%。") == []
    only_target = only("1-9月,规上工业增加值完成800亿元,同比增长7%;全年力争规上工业增加值增长8%。")
    assert (only_target.value, only_target.kind) == (8, "growth")


def test_statistics_after_a_past_marker_stay_in_the_past_until_the_paragraph_ends():
    text = "近年来,园区发展迅速。新增企业120家,产值增长18%。\n\n今年力争新增企业150家。"
    assert [d.value for d in drafts(text)] == [150]


def test_a_forward_word_after_past_statistics_starts_the_targets_again():
    text = "截至4月,全市在库项目210个,今年计划完成投资600亿元。"
    assert [(d.value, d.unit) for d in drafts(text)] == [(600, "亿元")]


@pytest.mark.parametrize(
    "text",
    [
        "6月6日,市委全会召开。",
        "全市经济总量位居全省第二,冲刺全省第一方阵。",
        "推动“4+3”重点产业集群发展,完善“1+5+N”服务体系。",
        "高标准编制“十五五”规划,完成“十四五”目标任务。",
        "会议明确了四个方面重点工作。",
        "深刻领悟“两个确立”的决定性意义。",
    ],
)
def test_dates_ranks_labels_and_counts_of_policy_items_are_not_targets(text):
    assert drafts(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "预计全年粮食总产量可达120万吨。",
        "该项目建成后将年产60万吨新型材料。",
        "项目总投资近80亿元,占地超5万平方米。",
        "百亿元级龙头企业实现新突破,10亿元以上项目加快落地。",
    ],
)
def test_forecasts_project_specifications_and_size_qualifiers_are_not_targets(text):
    assert drafts(text) == []


def test_a_companys_own_plans_are_not_government_targets():
    text = "江苏某某科技有限公司(以下简称“某某科技”)二期项目正在建设。某某科技今年产值力争达到5亿元。"
    assert drafts(text) == []


def test_a_heading_is_not_read_as_a_target():
    assert drafts("## 全年新增就业1万人\n\n") == []


# --------------------------------------------------------------------------
# The seed set
# --------------------------------------------------------------------------

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


def test_the_seed_documents_are_extracted_with_high_precision_and_recall():
    if not (SEEDS / "docs").is_dir():
        pytest.skip("seed documents not available")
    from bench.eval_extraction import evaluate

    overall = evaluate(SEEDS / "docs", SEEDS / "gold", SEEDS / "meta.json", throughput_bytes=0)["overall"]
    assert overall["precision"] >= 0.9
    assert overall["recall"] >= 0.9


# --------------------------------------------------------------------------
# Lists and year-end reviews
# --------------------------------------------------------------------------


def test_the_items_of_a_fenbie_list_share_the_words_before_the_first_number():
    first, second = drafts("城乡居民人均可支配收入分别增长5%、6.5%。")
    assert (first.value, second.value) == (5, Decimal("6.5"))
    assert {first.kind, second.kind} == {"growth"}
    assert second.metric == "城乡居民人均可支配收入"


def test_in_a_year_end_review_this_years_results_are_not_targets():
    text = (
        "会议总结今年工作,部署明年任务。"
        "今年全区完成工业投资260亿元,超年度计划6个百分点。"
        "明年力争完成工业投资300亿元。"
    )
    assert [(d.value, d.deadline) for d in drafts(text, 2024)] == [(300, date(2025, 12, 31))]


def test_a_number_of_years_inside_a_name_is_not_a_deadline():
    draft = only("今年新建九年一贯制学校3所。")
    assert draft.deadline == date(YEAR, 12, 31)


def test_the_five_year_plan_period_ends_in_its_last_year():
    assert only("“十五五”期间新建城市道路200公里。").deadline == date(2030, 12, 31)


def test_a_comparison_with_last_year_is_not_part_of_the_metric():
    draft = only("今年规上工业增加值比上年增长8%。")
    assert (draft.metric, draft.kind, draft.value) == ("规上工业增加值", "growth", 8)


def test_a_speaker_does_not_own_the_next_paragraph():
    text = "南湖县县长马骏表示,年内新增绿色工厂3家。\n\n全市新建城市道路200公里。"
    assert [d.owner for d in drafts(text)] == ["南湖县", None]

"""The layout of a document, read before its sentences: lines, headings, sections, lists, issuer.

Whether a number is a target depends on where it stands as much as on its own words: a figure in a
review section (一、2024年工作回顾) or in a list introduced by "今年以来…取得新成效：" reports a result,
a line cut by a page break belongs with the next line, and a target that names no department belongs to
the body that issues the document.  Everything here works line by line with regular expressions and
bounded look-ahead, so reading stays linear in the length of the text.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date

# --------------------------------------------------------------------------
# Lines
# --------------------------------------------------------------------------

_BLANK = " \t\r\u3000"

# Markers that open a heading or a list item: 一、 （一） 1. 1、 (1) ① - • · * # 第一章 一是.
_NUMBERED = re.compile(
    r"[ \t\u3000]*(?:#+[ \t]*|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|[0-9]{1,2}[.、．](?![0-9])"
    r"|[（(][0-9]{1,2}[）)]|[①-⑳]|第[一二三四五六七八九十0-9]+[篇章节部分条]|[-•·*●▪◆■]\s*|[一二三四五六七八九十]是)"
)
_BULLET = re.compile(r"[ \t\u3000]*(?:[-•·*●▪◆■][ \t]*|[①-⑳]|[（(][0-9]{1,2}[）)]|[0-9]{1,2}[.、．](?![0-9]))")
# A clause that ends here: after these a line break is a real break.
_CLOSING = set("。！？!?；;：:…”」』）)】]")
_CJK_OR_DIGIT = re.compile(r"[\u4e00-\u9fff0-9]")
_PROSE_PUNCTUATION = re.compile(r"[，,。；;、]")
_SHORT_LINE = 20
_QUANTITY = re.compile(r"[0-9](?![0-9.]*年)")
_ENDS_WITH_QUANTITY = re.compile(r"[0-9](?:%|[\u4e00-\u9fff]{1,2})$")
_QUANTITY_TAIL = re.compile(r"以上|以内|以下|左右|的|之间")


def _is_table_like(line: str) -> bool:
    return "|" in line or "\t" in line or bool(re.search(r"\S[ \u3000]{2,}\S.*\S[ \u3000]{2,}\S", line))


@dataclass
class OffsetMap:
    """Maps offsets in the text with page breaks joined back to offsets in the original text."""

    cuts: list[int]  # offsets in the joined text where text was taken out
    removed: list[int]  # how many characters were taken out before and at each cut, cumulated

    def original(self, position: int) -> int:
        i = bisect.bisect_right(self.cuts, position) - 1
        return position + (self.removed[i] if i >= 0 else 0)


def join_broken_lines(text: str) -> tuple[str, OffsetMap]:
    """Join lines that a page break cut inside a clause ("…，新\\n\\n增规上工业企业140家").

    A line is joined to the next non-empty line when it is prose (it holds a comma or a full stop), it ends
    inside a clause (a character or digit, no closing punctuation), it is not a heading or list item, and the
    next line does not start a heading, list item or table row.  Captions and headings have no punctuation, so
    they are never joined.  The returned map turns offsets in the joined text back into offsets in `text`.
    """
    pieces: list[str] = []
    cuts: list[int] = []
    removed: list[int] = []
    total_removed = 0
    kept_until = 0
    spans = []
    position = 0
    for line in text.split("\n"):
        spans.append((position, position + len(line)))
        position += len(line) + 1
    for index, (start, end) in enumerate(spans):
        line = text[start:end].rstrip(_BLANK)
        if not line or line[-1] in _CLOSING or not _CJK_OR_DIGIT.match(line[-1]):
            continue
        if not _PROSE_PUNCTUATION.search(line) or _NUMBERED.match(line) and len(line) < 30 or _is_table_like(line):
            continue
        if len(line) < _SHORT_LINE and not re.search(r"[。；;]", line):
            continue  # "创新驱动，打造产业新高地": a title with a comma, not a paragraph cut by a page
        following = index + 1
        while following < len(spans) and not text[spans[following][0] : spans[following][1]].strip(_BLANK):
            following += 1
        if following >= len(spans) or following - index > 3:
            continue
        next_start, next_end = spans[following]
        next_line = text[next_start:next_end]
        stripped = next_line.lstrip(_BLANK)
        if (
            not stripped or not _CJK_OR_DIGIT.match(stripped[0]) or _NUMBERED.match(next_line)
            or _is_table_like(next_line) or _NOTE_LINE.match(next_line)
            or _ENDS_WITH_QUANTITY.search(line) and not _QUANTITY_TAIL.match(stripped)
        ):
            # A line that ends in a quantity (其中企业8000户) is a whole item of a list written without full stops,
            # and a 牵头单位/时间节点 line under a task is a note: neither continues the line above.
            continue
        cut_from = start + len(line)
        cut_to = next_start + (len(next_line) - len(stripped))
        pieces.append(text[kept_until:cut_from])
        kept_until = cut_to
        total_removed += cut_to - cut_from
        cuts.append(cut_from - (total_removed - (cut_to - cut_from)))
        removed.append(total_removed)
    if not cuts:
        return text, OffsetMap([], [])
    pieces.append(text[kept_until:])
    return "".join(pieces), OffsetMap(cuts, removed)


# --------------------------------------------------------------------------
# Headings and the sections they open
# --------------------------------------------------------------------------

_HEADING_LEVEL = [
    (re.compile(r"[ \t\u3000]*(#+)[ \t]*"), None),  # markdown: as many levels as #
    (re.compile(r"[ \t\u3000]*第[一二三四五六七八九十0-9]+篇"), 0),
    (re.compile(r"[ \t\u3000]*第[一二三四五六七八九十0-9]+(?:章|部分)"), 1),
    (re.compile(r"[ \t\u3000]*[一二三四五六七八九十]+[、.．]"), 1),
    (re.compile(r"[ \t\u3000]*[（(][一二三四五六七八九十]+[）)]"), 2),
]
# What a review heading says: it looks back (回顾, 执行情况, 发展基础, 取得的成绩 …).
_REVIEW_WORDS = re.compile(
    r"回顾|总结|执行情况|完成情况|实施情况|进展情况|发展基础|过去|以来|成就|取得的?(?:成绩|成效)|主要成[绩效]|工作成效|成绩单|亮点|盘点|数读"
    r"|[一二三四五]年来"
)
_FORWARD_WORDS = re.compile(r"目标|任务|安排|打算|计划草案|思路|部署|举措|重点工作|要求|展望")
_HEADING_YEAR = re.compile(r"((?:19|20)[0-9]{2})年")
_SENTENCE_STOP = re.compile(r"[。；;！？!?]")


def _heading_level(line: str) -> tuple[int, str] | None:
    """(level, heading text) when the line opens with a heading marker; level 0 is the highest."""
    for pattern, level in _HEADING_LEVEL:
        m = pattern.match(line)
        if m:
            if level is None:
                level = len(m.group(1)) - 1
            rest = line[m.end() :]
            stop = _SENTENCE_STOP.search(rest)  # "（一）经济运行回升向好。全县…": the heading is the run-in title
            return level, rest[: stop.start()] if stop else rest
    return None


def _looks_back(heading: str, year: int) -> bool:
    """一、2024年工作回顾, 第一章 发展基础, 一、2024年工作 (an earlier year and nothing ahead): yes;
    二、2025年目标任务, （三）落实2024年会议部署 (a forward word): no."""
    years = [int(y) for y in _HEADING_YEAR.findall(heading)]
    forward = bool(_FORWARD_WORDS.search(heading))
    if _REVIEW_WORDS.search(heading):
        return not forward or any(y < year for y in years)
    return not forward and bool(years) and max(years) < year


# A work report's review often has no numbered heading: it opens with "过去一年，…" and runs to the next heading.
_REVIEW_OPENING = re.compile(r"[ \t\u3000]*(?:过去(?:的)?[一两三四五]?年|[一五]年来|这一年|回顾(?:过去|[一五]年))")
_PLAIN_HEADING_MAX = 30
# A paragraph that opens by looking ahead ends a review passage.
_FORWARD_OPENING = re.compile(r"[ \t\u3000]*(?:今年|明年|新的一年|下一步|今后|接下来|未来[一二三四五0-9]*年|((?:19|20)[0-9]{2})年)")


def _is_plain_heading(line: str) -> bool:
    """A short line of words with no punctuation, between paragraphs: 今年政府工作的总体要求和主要目标."""
    words = line.strip(_BLANK)
    return (
        4 <= len(words) <= _PLAIN_HEADING_MAX
        and not re.search(r"[，,。；;：:！？!?、]", words)
        and not _BULLET.match(words)
        and not _is_table_like(line)
        and bool(re.match(r"[\u4e00-\u9fff“]|(?:19|20)[0-9]{2}年", words))
    )


_FORWARD_EARLY = re.compile(r"将(?!军|近)|力争|确保|争取|今年|明年|下一步|今后|目标|计划")


# "王立群表示，…", "他介绍，…": a paragraph that opens with who is speaking.
_SPEAKER_OPENING = re.compile(r"[ \t\u3000]*[\u4e00-\u9fff]{1,30}?(?:表示|介绍|指出|强调|说|回答)[，,：:]")


def _opens_forward(line: str, year: int) -> bool:
    """Does the paragraph start by looking ahead: a time ahead at its start, or a forward word in its first clause?
    A speaker who opens the paragraph is not its first clause: what they say is."""
    speaker = _SPEAKER_OPENING.match(line)
    if speaker:
        line = line[speaker.end() :]
    m = _FORWARD_OPENING.match(line)
    if m and (not m.group(1) or int(m.group(1)) >= year):
        return True
    first_clause = re.split(r"[，,。；;：:]", line[:60], maxsplit=1)[0]
    return bool(_FORWARD_EARLY.search(first_clause))


def review_spans(text: str, year: int) -> list[tuple[int, int]]:
    """The spans of sections that review the past: from a heading that looks back to the next heading of the
    same or a higher level; and the paragraphs after one that opens with 过去一年, up to the next heading or
    the next paragraph that opens by looking ahead (今年, 下一步, 2025年…).  The opening paragraph itself is
    left to the tense of its clauses ("过去一年…。今年，我们将…")."""
    spans = []
    open_at: tuple[int, int] | None = None  # (start, level) of the review section being read
    passage_at: int | None = None  # start of a review passage opened by "过去一年，…"
    plain_at: int | None = None  # start of a review under an unnumbered heading ("2024年工作回顾")
    position = 0
    for line in text.split("\n"):
        heading = _heading_level(line) if len(line) < 200 else None
        plain = not heading and _is_plain_heading(line)
        if plain_at is not None and (plain or (heading and heading[0] <= 1)):
            spans.append((plain_at, position))
            plain_at = None
        if plain and not open_at and plain_at is None and _REVIEW_WORDS.search(line) and _looks_back(line, year):
            plain_at = position
        if passage_at is not None and (heading or _is_plain_heading(line) or _opens_forward(line, year)):
            spans.append((passage_at, position))
            passage_at = None
        if passage_at is None and not open_at and not heading and _REVIEW_OPENING.match(line):
            passage_at = position + len(line) + 1
        if heading:
            level, words = heading
            if open_at and level <= open_at[1]:
                spans.append((open_at[0], position))
                open_at = None
            if not open_at and _looks_back(words, year):
                open_at = (position, level)
        position += len(line) + 1
    if open_at:
        spans.append((open_at[0], len(text)))
    if passage_at is not None and passage_at < len(text):
        spans.append((passage_at, len(text)))
    if plain_at is not None:
        spans.append((plain_at, len(text)))
    return sorted(spans)


def starts_list_item(text: str, position: int) -> bool:
    """Does the line beginning at `position` start with a bullet or an item number?"""
    return bool(_BULLET.match(text, position))


# --------------------------------------------------------------------------
# The issuing body and the plan period
# --------------------------------------------------------------------------

_ORG_LINE = re.compile(
    r"(?:中共)?[\u4e00-\u9fff]{2,16}?(?:人民政府办公室|人民政府办公厅|人民政府|委员会|办公室|办公厅|局|厅|委)"
)
# A name starts after a date ("2026年2月临江市人民政府印发") or where the Chinese text starts.
_GOVERNMENT = re.compile(
    r"(?:^|(?<=[年月日])|(?<![\u4e00-\u9fff]))(?![年月日经由据]|根据|按照|依据)(?:中共)?[\u4e00-\u9fff]{2,8}?(?:省|市|县|区|州|旗)(?:人民政府|政府|委员会|委)"
)
# "梅岗市农业农村局2025年工作要点", "2025年梅岗市农业农村局工作要点".
_DEPARTMENT_TITLE = re.compile(
    r"(?:(?:19|20)[0-9]{2}年度?)?([\u4e00-\u9fff]{2,6}?(?:省|市|县|区)[\u4e00-\u9fff]{2,12}?(?:局|委员会|办公室))"
    r"(?=[0-9一二]|关于|[\u4e00-\u9fff]{0,10}?(?:要点|计划|方案)$)"
)
# "岚州市青石区…规划纲要": a district within a city issues it, so the innermost place is the body.
_PLACE_TITLE = re.compile(
    r"(?:关于)?(?:[\u4e00-\u9fff]{2,6}?(?:省|市|州))?([\u4e00-\u9fff]{2,6}?(?:省|市|县|区))"
    r"(?=[0-9]{4}年|[\u4e00-\u9fff]{2,}(?:规划|方案|计划|要点|报告)|政府工作报告)"
)
_OPENING_LINES = 5
_CONGRESS_PLACE = re.compile(r"在([\u4e00-\u9fff]{2,8}?(?:省|市|县|区|州|旗))第[一二三四五六七八九十]+届人民代表大会")


_OFFICE_NOTICE = re.compile(r"([\u4e00-\u9fff]{2,12}?人民政府)(?:办公厅|办公室)关于印发")
# "经云岫市人民政府同意，制定本方案": the plan is the government's that approved it.
_APPROVED_BY = re.compile(r"经([\u4e00-\u9fff]{2,12}?(?:人民政府|委员会))(?:同意|批准)")


def issuing_body(text: str) -> str | None:
    """The body that issues the document, from its title and opening lines, or None.

    In order: a line that is only the name of a body (石梁县人民政府), a government or party committee named in the
    opening lines (青溪县人民政府工作报告, 中共云岙县委…), a department that opens the title (梅岗市农业农村局2025年
    工作要点), the place that opens the title (江浦市2025年…工作方案).
    """
    lines = []
    for line in text[:2000].split("\n"):
        line = line.strip(_BLANK + "#").strip()
        if line:
            lines.append(line)
        if len(lines) >= _OPENING_LINES:
            break
    if lines:
        # "某省人民政府办公厅关于印发…的通知": the office passes on the government's plan, which is the government's.
        notice = _OFFICE_NOTICE.match(lines[0])
        if notice:
            return notice.group(1)
        approved = _APPROVED_BY.search("\n".join(lines[:3]))
        if approved:
            return approved.group(1)
    for line in lines:
        if len(line) <= 24 and _ORG_LINE.fullmatch(line):
            return _government_passing_on(line, lines)
    named = [m.group() for line in lines[:3] if not line.startswith("——") for m in [_GOVERNMENT.search(line)] if m]
    if named:
        # "中共石门县委督查室" over "石门县人民政府督查室": the party committee and the government issue it together,
        # and the targets they follow up are the government's.
        government = next((name for name in named if name.endswith("政府")), None)
        return government if government and _is_party(named[0]) else named[0]
    if not lines:
        return None
    # A government work report is the government's, wherever the place is named: in the title (南通市2023年政府
    # 工作报告) or only in the line saying where it was delivered (——在某市第十六届人民代表大会第二次会议上).
    work_report = "政府工作报告" in lines[0]
    m = _DEPARTMENT_TITLE.match(lines[0])
    if m and not work_report:
        return m.group(1)
    m = _PLACE_TITLE.match(lines[0]) or (_CONGRESS_PLACE.search("\n".join(lines[1:3])) if work_report else None)
    if m:
        return m.group(1) + ("人民政府" if work_report else "")
    # "关于…的通报" names no one at its head: the body that signs it at the foot does.
    signed = next((line for line in _closing_lines(text) if len(line) <= 24 and _ORG_LINE.fullmatch(line)), None)
    return _government_passing_on(signed, lines) if signed else None


def _is_party(name: str) -> bool:
    return name.startswith("中共") or name.endswith("委")


_GOVERNMENT_OFFICE = re.compile(r"([\u4e00-\u9fff]{2,12}?人民政府)(?:办公室|办公厅)")
# "梧岭区重点工作推进领导小组办公室", "某县重大项目建设指挥部办公室": an office that follows up the place's work for its
# government.
_PARTY_OFFICE = re.compile(r"(中共[\u4e00-\u9fff]{2,10}?委)办公室")
_PLACE_TASK_OFFICE = re.compile(r"([\u4e00-\u9fff]{2,6}?[市县区])[\u4e00-\u9fff]{2,16}?(?:领导小组|指挥部)办公室")


def _government_passing_on(body: str, lines: list[str]) -> str:
    """A government's office that 印发s a plan passes on the government's plan, and one that 通报s how the
    government's work goes reports on the government's targets: either way they are the government's. So does the
    office of a place's leading group that 通报s: the place's targets are its government's."""
    office = _GOVERNMENT_OFFICE.fullmatch(body)
    if office and any("印发" in line or "通报" in line for line in lines):
        return office.group(1)
    party_office = _PARTY_OFFICE.fullmatch(body)
    if party_office and any("纪要" in line or "通报" in line for line in lines):
        return party_office.group(1)  # the minutes of the committee's meeting, kept by its office
    task_office = _PLACE_TASK_OFFICE.fullmatch(body)
    if task_office and any("通报" in line for line in lines):
        return task_office.group(1) + "人民政府"
    return body


_CLOSING_LINES = 3


def _closing_lines(text: str) -> list[str]:
    """The last few non-empty lines: where a notice or bulletin signs and dates itself."""
    lines = [line.strip(_BLANK) for line in text[-400:].split("\n") if line.strip(_BLANK)]
    return lines[-_CLOSING_LINES:]


_DATELINE = re.compile(r"((?:19|20)[0-9]{2})年([0-9]{1,2})月([0-9]{1,2})日")
_NEWS_LEAD_DAY = re.compile(r"(?:[\u4e00-\u9fff]{0,6}讯)?(?:[（(][^）)\n]{0,30}[）)])?\s*([0-9]{1,2})月([0-9]{1,2})日")


def written_on(text: str, year: int) -> date | None:
    """The date the document gives itself in its opening lines (a dateline, the day a report was delivered) or on a
    line of its own at its foot (under the signature), if it falls in the document's year; None otherwise."""
    lines = [line for line in text[:600].split("\n") if line.strip(_BLANK)][:_OPENING_LINES]
    lines += [line for line in _closing_lines(text) if _DATELINE.fullmatch(line)]
    for line in lines:
        m = _DATELINE.search(line)
        if m and int(m.group(1)) == year:
            return valid_date(year, int(m.group(2)), int(m.group(3)))
    for line in lines:
        # "本报讯（记者 …）8月5日上午，…": a news report's lead gives the day alone, in the document's year.
        m = _NEWS_LEAD_DAY.match(line.strip(_BLANK))
        if m:
            return valid_date(year, int(m.group(1)), int(m.group(2)))
    return None


def valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


_SUBJECT_PLACE = re.compile(r"(?<![\u4e00-\u9fff])([\u4e00-\u9fff]{2,4}?(?:县|市|区|镇))(?![委长])")


def subject_place(text: str) -> str | None:
    """The place a headline opens with (柳溪县上半年经济运行…): the actor of a news article that no body issues."""
    first = next((line.strip(_BLANK + "#") for line in text[:400].split("\n") if line.strip(_BLANK + "#")), "")
    if re.search(r"[，,。；;]", first):
        return None  # a sentence, not a headline
    m = _SUBJECT_PLACE.match(first)
    return m.group(1) if m else None


_PERIOD = re.compile(r"((?:19|20)[0-9]{2})年?\s*[—\-–~～至到]+\s*((?:19|20)[0-9]{2})年")
_FIVE_YEAR_TITLE = re.compile(r"第?十([一二三四五六七八九])个?五[”\"」’]?(?:年)?规划")
_CN_ORDINAL = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def plan_period(text: str, year: int) -> tuple[int, int] | None:
    """The first and last years of the period a plan document covers, from its title (…（2025—2027年）,
    第十五个五年规划), when the period has not ended by the document's year."""
    title_lines = [line.strip(_BLANK + "#") for line in text[:1000].split("\n") if line.strip(_BLANK + "#")][:2]
    head = "\n".join(line for line in title_lines if len(line) <= 80 and "。" not in line)
    m = _PERIOD.search(head)
    if m and int(m.group(2)) > year:
        return int(m.group(1)), int(m.group(2))
    m = _FIVE_YEAR_TITLE.search(head)
    if m:
        end = 2025 + 5 * (10 + _CN_ORDINAL[m.group(1)] - 14)
        if end > year:
            return end - 4, end
    # "某县制造业数字化转型三年行动计划" with no years: the plan runs from the document's year, when its goals name
    # the last of those years ("到2028年").
    m = _SPAN_TITLE.search(head)
    if m:
        end = year + _CN_ORDINAL[m.group(1)] - 1
        if f"{end}年" in text[:_SPAN_CONFIRM_CHARS]:
            return year, end
    return None


_SPAN_TITLE = re.compile(r"([三五])年(?:行动|攻坚|提升|倍增|专项)")
_SPAN_CONFIRM_CHARS = 3000


def plan_period_end(text: str, year: int) -> date | None:
    """The last day of the period a plan document covers (see plan_period)."""
    period = plan_period(text, year)
    return date(period[1], 12, 31) if period else None


# --------------------------------------------------------------------------
# Responsible units (责任单位, 牵头单位)
# --------------------------------------------------------------------------

# The first unit of a note may hold a bracket of its own: 各县（市、区）人民政府.
_RESPONSIBLE = re.compile(
    r"(?:牵头单位|责任单位|牵头部门|责任部门|责任主体|(?:牵头|责任)[科处]室)\s*(?:[:：]|为)\s*((?:[^、，,。；;（()）\n\s]|[（(][^（()）\n]{1,10}[）)]){2,40})"
)
_TITLE_UNIT = re.compile(
    r"^[ \t\u3000]*(?:[0-9]{1,2}[.、．](?![0-9])|[（(][一二三四五六七八九十0-9]{1,3}[）)])[^（()）\n：:。，,]{2,30}"
    r"[（(]([\u4e00-\u9fff、]{2,40})[）)][：:]",
    re.M,
)
# "市数据局（牵头）", "市农业农村局（种植业管理处）": a role or a division in brackets after the unit is not its name.
_ROLE_MARK = re.compile(r"(?:(?<=[局委办厅府室心院会部署道])[（(][\u4e00-\u9fff]{1,12}|[（(](?:牵头|负责|主责))[）)]$")
# "（市数据局牵头，市财政局配合）", "（市数据局、市财政局按职责分工负责）": the units without a label, the first leading.
_LEAD_NOTE = re.compile(r"[（(]([\u4e00-\u9fff、]{2,40}?)(?:按职责分工)?(?:牵头|负责)(?=[，,；;、）)])")
# "市农业农村局（人事处）牵头，局机关各处室配合。" on a line of its own, without a label.
_LEAD_LINE = re.compile(
    r"^[ \t\u3000]*([\u4e00-\u9fff]{2,20}?(?:局|委|办|厅|政府|办公室|中心|院|会|部|署|街道)(?:[（(][\u4e00-\u9fff]{1,12}[）)])?)"
    r"(?:、[^\n，,；;。]{2,40}?)?(?:牵头|负责)(?:[，,；;][^\n。]{0,40}配合[^\n。]{0,10})?[。；;]?[ \t\u3000]*$",
    re.M,
)
_UNIT_NAME = re.compile(r"[\u4e00-\u9fff]{2,20}(?:局|委|办|厅|政府|办公室|中心|院|会|部|署|街道)")
_SENTENCE_AFTER = re.compile(r"[。！？!?][ \t\u3000]*[^\s）)]")
_NOTE_WALK_LINES = 30  # how many lines a note may reach over, back to its task or down its section


def _unit_notes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, first unit) of every 责任单位/牵头单位 note and every "（X牵头，Y配合）"."""
    notes = [(m.start(), m.end(), _ROLE_MARK.sub("", m.group(1))) for m in _RESPONSIBLE.finditer(text)]
    notes += [(m.start(1), m.end(), _ROLE_MARK.sub("", m.group(1))) for m in _LEAD_LINE.finditer(text)]
    for m in _LEAD_NOTE.finditer(text):
        unit = m.group(1).split("、")[0]
        if _UNIT_NAME.fullmatch(unit):
            notes.append((m.start(), m.end(), unit))
    return sorted(notes)


def _line_at(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[start : end if end >= 0 else len(text)]


def _task_above(text: str, line_start: int) -> int:
    """Where the task closed by a note on a line of its own begins: over the note lines right above it (完成时限,
    配合单位), then back over the task's paragraphs up to its heading (（一）…, 一、…, included) or the note of the
    task before (excluded)."""
    start = line_start
    passed_notes = True  # still among the note lines just above
    for _ in range(_NOTE_WALK_LINES):
        previous_end = start - 1
        while previous_end > 0 and text[previous_end - 1] in "\n" + _BLANK:
            previous_end -= 1
        if previous_end <= 0:
            break
        previous_start = text.rfind("\n", 0, previous_end) + 1
        line = _line_at(text, previous_start)
        if _NOTE_LINE.match(line) or _LEAD_NOTE.match(line.strip(_BLANK)) or _LEAD_LINE.match(line):
            if passed_notes:
                start = previous_start
                continue
            break  # the note of the task before
        passed_notes = False
        if _is_plain_heading(line) and not _QUANTITY.search(line):
            break  # (a task's body line without punctuation, 拥有量达到6.5件, is no heading)
        if _RESPONSIBLE.search(line) or _LEAD_NOTE.search(line):
            break  # a line closed by a note of its own (…10家。牵头单位：…) is the task before
        start = previous_start
        title = _BULLET.match(line)
        if _heading_level(line) or title and _is_plain_heading(line[title.end() :]) and not _QUANTITY.search(line):
            break  # (and "3.农村人居环境整治", a numbered title with no punctuation, opens the task)
    return start


def _notes_below(text: str, line_start: int) -> int:
    """The end of the run of note lines (牵头单位, 配合单位, 时间节点 …) that starts at line_start."""
    end = line_start
    while end < len(text) and _NOTE_LINE.match(_line_at(text, end)):
        end += len(_line_at(text, end)) + 1
    return min(end, len(text))


def _section_below(text: str, line_start: int, line: str) -> int:
    """Where the section a title line opens ends: the next heading of the same or a higher level."""
    heading = _heading_level(line)
    level = heading[0] if heading else 3
    position = line_start + len(line) + 1
    for _ in range(_NOTE_WALK_LINES):
        if position >= len(text):
            break
        following = _line_at(text, position)
        other = _heading_level(following)
        if other and other[0] <= level or level == 3 and _NUMBERED.match(following) and following.strip(_BLANK):
            return position
        position += len(following) + 1
    return min(position, len(text))


def responsible_units(text: str) -> list[tuple[int, int, str]]:
    """(start, end, unit) for each 责任单位/牵头单位 note: the unit first named leads.  It owns the targets of the line
    the note closes; of the section under a title line the note stands on ("（一）某工程（责任单位：县交通运输局）");
    or, when the note is a line of its own, of the task above it, back to the task's heading."""
    found = []
    for note_start, note_end, unit in _unit_notes(text):
        line_start = text.rfind("\n", 0, note_start) + 1
        line = _line_at(text, line_start)
        before = text[line_start:note_start].strip(_BLANK + "（(")
        marker = _NUMBERED.match(line)
        # Only other units or notes after it (、省科技厅）, ；配合单位：…): the note ends its line.
        closes_line = not _SENTENCE_AFTER.search(line, note_end - line_start)
        if before and closes_line and marker and not _SENTENCE_STOP.search(before):
            found.append((line_start, _section_below(text, line_start, line), unit))
        elif before and not (marker and line_start + marker.end() >= note_start - 1):
            found.append((line_start, note_start, unit))
        elif not closes_line:
            found.append((note_start, line_start + len(line), unit))  # "3. 责任单位：市商务局。新增…": it opens its task
        else:
            # (and the note lines under it: "时间节点：6月底前开工120个" is a step of the same task)
            found.append((_task_above(text, line_start), _notes_below(text, line_start), unit))
    # "2.城南农贸市场改造（县商务局、城关镇）：…": a unit named bare in brackets after an item's title owns its line.
    for m in _TITLE_UNIT.finditer(text):
        unit = m.group(1).split("、")[0]
        if _UNIT_NAME.fullmatch(unit):
            found.append((m.start(), m.start() + len(_line_at(text, m.start())), unit))
    # "（牵头单位：市商务局；责任单位：各区政府）": of two notes closing the same task, the first names the lead.
    first_at: dict[int, tuple[int, int, str]] = {}
    for note in found:
        first_at.setdefault(note[0], note)
    return sorted(first_at.values())


# "时间节点：6月底前完成半数，11月底前全部完成": the task is due at the last point the note names.
_DUE_NOTE = re.compile(
    r"(?:完成时限|完成时间|完成期限|时间节点|时限要求)\s*[:：]\s*(?:[^、，,；;）)\n]{2,20}[，,](?=[^，,；;\n]*[0-9月季年]))*"
    r"([^、，,；;）)\n]{2,20})"
)
_NOTE_LINE = re.compile(r"[\s\u3000（(]*(?:牵头单位|责任单位|配合单位|牵头部门|责任部门|责任主体|(?:牵头|责任|配合)[科处]室|完成时限|完成时间|完成期限|时间节点|时限要求)\s*[:：]")


def deadline_notes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, due) for each 完成时限 note: it closes the task on its own line, or the task written above it
    when the note (and a 责任单位 note with it) stands on lines of their own."""
    found = []
    for m in _DUE_NOTE.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = text[line_start : m.start()]
        if not _NOTE_LINE.match(before + m.group()):
            found.append((line_start, m.start(), m.group(1)))
            continue
        # The note closes the whole task above it (its title line and the lines under it), as a 责任单位 note does.
        task_start = _task_above(text, line_start)
        if task_start < line_start:
            found.append((task_start, line_start, m.group(1)))
    return found


# "五、今后三年发展展望", "（三）到2028年主要目标": a heading that names a period of its own.
_PERIOD_HEADING = re.compile(
    r"到(?:19|20)[0-9]{2}年|(?:今后|未来)[一二两三四五六七八九十0-9]{1,2}年|(?:19|20)[0-9]{2}\s*[—\-–~至到]+\s*(?:19|20)[0-9]{2}年"
)


def section_periods(text: str) -> list[tuple[int, int, str]]:
    """(start, end, heading) for each section under a heading line that names a period (今后三年, 到2028年): its
    targets without a time word of their own are due at that period's end."""
    found = []
    for m in _PERIOD_HEADING.finditer(text):
        line_start = text.rfind("\n", 0, m.start()) + 1
        line = _line_at(text, line_start)
        heading = _heading_level(line)
        words = heading[1] if heading else line
        if re.search(r"[，,。；;]", words) or words.strip(_BLANK) != line[len(line) - len(words) :].strip(_BLANK) or not (
            heading or _is_plain_heading(line)
        ):
            continue  # ("（一）到2028年，全县…" is a sentence with its own period)
        if found and found[-1][0] == line_start:
            continue
        found.append((line_start, _section_below(text, line_start, line), line))
    return found


"""What tests about something else give when they record an update that leaves a pledge at risk, off track or
overdue: the cause of the delay, the corrective measures and a date back on track that no test reaches
(tests/test_cause_measures.py says why they are required)."""

from datetime import date

EXPLAINED = {"cause": "项目审批延迟", "measures": "专班推进", "back_on_track_by": date(2030, 12, 31)}

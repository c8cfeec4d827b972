"""The nightly sweep's older name: `flag_overdue` is `sweep_statuses`."""

from .sweep_statuses import Command  # noqa: F401

"""PlanWise Navigator: event-sourced workforce and DC plan simulation."""

__version__ = "0.1.0"

"""Cases: rights-violation reports and consultations, their lifecycle, audit and relay.

Plain Python over the database; Telegram stays in report_violation.py (the client's side) and
case_desk.py (the paralegals' workspace). Errors: CaseNotFound, AlreadyTaken.
"""

"""Internal clients' requests to internal services and their follow-up (seed 004).

Employees of the body and of its subordinate institutions (§2) ask IT, accounting or
facilities (processes for internal clients in the registry); a written request is
acknowledged and answered within 30 days (§10), an oral one at once or by the end of the
working day (§9); a refusal states its reasons (§3, «обоснование причин»); the internal
survey's results go on the working group's agenda next to the previous survey's (§14).
"""
